import DoormanCore

/// Everything the terminal UI shows, as a value. Input and results change it
/// only through ``handle(_:)``, which is pure: it returns the ``Effect``s to
/// run instead of running them, so the whole UI can be tested as a state
/// machine without a terminal, a database or a clock.
struct AppState: Equatable, Sendable {
    /// The two screens (the help is drawn over either).
    enum Screen: Equatable, Sendable {
        /// The login form.
        case login
        /// The product table after a login.
        case products
        /// The cache view (`c`), over the product table.
        case cache
        /// The users view (`u`), over the product table.
        case users
    }

    /// A logged-in user.
    struct Session: Equatable, Sendable {
        /// The login attempt that made it; results for other attempts are ignored.
        var id: Int
        /// Who, and which store said yes.
        var authentication: Authentication
    }

    /// The login form.
    struct LoginForm: Equatable, Sendable {
        /// The form's fields.
        enum Field: Equatable, Sendable {
            /// The username.
            case username
            /// The password.
            case password
        }

        /// At most 50 characters (`users.username` is `VARCHAR(50)`).
        var username = TextField(limit: .characters(Credentials.maxUsernameLength))
        /// At most 72 bytes (bcrypt's limit), never shown.
        var password = TextField(limit: .utf8Bytes(Credentials.maxPasswordBytes))
        /// The field keys go to.
        var focus: Field = .username

        /// An empty form with the cursor in the username.
        init() {}

        /// The field with the focus.
        var focused: TextField {
            get { focus == .username ? username : password }
            set { if focus == .username { username = newValue } else { password = newValue } }
        }
    }

    /// The help screen's scroll position; `nil` when it is closed.
    struct Help: Equatable, Sendable {
        /// The first line shown.
        var scroll = 0
    }

    /// How many logins a burst makes.
    static let burstSize = 20
    /// The spinner's frames.
    static let spinnerFrames: [String] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    /// The screen.
    var screen: Screen = .login
    /// The terminal's size.
    var size: TerminalSize
    /// What the UI is connected to.
    var mode: ModeInfo
    /// The login form.
    var login = LoginForm()
    /// The login form's last word (`Authentication failed.`, an outage, a hint).
    var loginFeedback: Message?
    /// The login attempt waiting for an answer, if any.
    var pendingLogin: Int?
    /// The number of the last login attempt.
    var lastAttempt = 0
    /// The logged-in user.
    var session: Session?
    /// The products.
    var table = ProductTable()
    /// `true` while the products load.
    var productsLoading = false
    /// Why the products could not be loaded, if they could not.
    var productsError: String?
    /// `true` when the person wants the cache panel (it shows when it fits).
    var panelWanted = true
    /// The cache panel's data.
    var panel = PanelSnapshot()
    /// The panel's page (`v`).
    var panelPage: PanelPage = .cache
    /// The fleet, as last read (while its page is open).
    var fleet: FleetSnapshot?
    /// The next burst's size and concurrency (`b` asks; Enter keeps them).
    var burstSettings = BurstSettings()
    /// `b`'s question in the footer, while it is asked.
    var burstPrompt: TextField?
    /// The last (or running) burst.
    var burst: BurstState?
    /// `true` while the selected product's detail is open (Enter).
    var detailOpen = false
    /// The last (or running) one-key demo.
    var demo: DemoState?
    /// The cache view's rows and selection.
    var cacheView = CacheViewState()
    /// The users view's rows, selection and question.
    var usersView = UsersViewState()
    /// `true` while a flush runs.
    var flushPending = false
    /// The footer's message, until the next key.
    var message: Message?
    /// The help screen, when open.
    var help: Help?
    /// The spinner's frame.
    var spinnerFrame = 0
    /// The theme in use.
    var themeName: String
    /// The themes `t` cycles through.
    var themes: [String]
    /// `true` while the person has taken Redis out of this UI's path (`o`).
    var cacheBypassed = false
    /// `true` while the embedded Redis is stopped by this UI (`O`); `nil` while a stop or start runs.
    var embeddedRedisStopped: Bool? = false
    /// PostgreSQL and Redis as last probed, for the header's health strip (empty until the first probe).
    var health: [StoreStatus] = []
    /// `true` once the person asked to quit.
    var quitting = false
    /// The keys in use (the standard ones, or the person's keys file's).
    var keymap: Keymap = .standard

    /// The state at start-up.
    init(size: TerminalSize, mode: ModeInfo, themeName: String = "dark", themes: [String] = ["dark"], message: Message? = nil) {
        self.size = size
        self.mode = mode
        self.themeName = themeName
        self.themes = themes
        self.message = message
    }

    /// Where keys go right now.
    var inputContext: InputContext {
        if !size.isUsable { return .tooSmall }
        if help != nil { return .help }
        switch screen {
        case .login: return .login
        case .products: return burstPrompt != nil ? .prompt : table.isEditingFilter ? .filter : table.isEditingSearch ? .search : .table
        case .cache: return .cache
        case .users:
            switch usersView.prompt {
            case .confirmDelete?: return .confirm
            case _?: return .prompt
            case nil: return .users
            }
        }
    }

    /// `true` while something runs in the background (the spinner turns).
    var isBusy: Bool {
        pendingLogin != nil || productsLoading || flushPending || usersView.pending || (burst.map { !$0.finished } ?? false) || (demo.map { !$0.finished } ?? false)
    }

    /// The spinner's current frame.
    var spinner: String { Self.spinnerFrames[spinnerFrame % Self.spinnerFrames.count] }

    /// Where everything goes at the current size.
    var layout: Layout { Layout(size: size, panelWanted: panelWanted) }
}

/// A burst's size and how many of its logins run at once.
struct BurstSettings: Equatable, Sendable {
    /// Logins in all.
    var count = AppState.burstSize
    /// Logins at once.
    var concurrency = 1
    /// The most logins a burst makes, and at once.
    static let maxCount = 10_000, maxConcurrency = 32

    /// `50`, `50 4`, `50x4` or `50,4`; empty keeps `self`. `nil` when it is not that.
    func parse(_ text: String) -> BurstSettings? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "x" || $0 == "," || $0 == "×" }).map(String.init)
        guard parts.count <= 2 else { return nil }
        var next = self
        if let first = parts.first {
            guard let count = Int(first), (1...Self.maxCount).contains(count) else { return nil }
            next.count = count
        }
        if parts.count == 2 {
            guard let concurrency = Int(parts[1]), (1...Self.maxConcurrency).contains(concurrency) else { return nil }
            next.concurrency = concurrency
        }
        return next
    }
}
