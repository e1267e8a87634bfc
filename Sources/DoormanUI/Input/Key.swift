/// A key press, as the keymap sees it (the terminal layer decodes ncurses'
/// key codes into these).
enum Key: Hashable, Sendable {
    /// A printable character typed on its own.
    case character(Character)
    /// Ctrl and a letter: `.control("C")` is Ctrl-C.
    case control(Character)
    /// The arrow keys.
    case up, down, left, right
    /// Page Up, Page Down, Home, End.
    case pageUp, pageDown, home, end
    /// Enter, Tab, Shift-Tab, Esc, Backspace, Delete.
    case enter, tab, backTab, escape, backspace, delete
    /// F1...F12.
    case function(Int)
    /// Shift and F1...F12 (htop's Shift-F3: the previous match). ncurses
    /// reports them as F13...F24 on xterm-like terminals (xterm, tmux, screen).
    case shiftFunction(Int)
    /// Alt (Meta) and a character: `.alt("f")` is M-f. Terminals send it as
    /// Esc then the character; ``InputDecoder`` makes it one key.
    case alt(Character)

    /// The key's name on the help screen and in the footer: `↑`, `PgDn`, `Ctrl-C`.
    var label: String {
        switch self {
        case .character(" "): "Space"
        case .character(let character): String(character)
        case .control(let letter): "Ctrl-\(letter)"
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "Enter"
        case .tab: "Tab"
        case .backTab: "Shift-Tab"
        case .escape: "Esc"
        case .backspace: "Backspace"
        case .delete: "Del"
        case .function(let number): "F\(number)"
        case .shiftFunction(let number): "Shift-F\(number)"
        case .alt(let character): "M-\(character)"
        }
    }
}

/// What the terminal delivers to the UI loop.
enum InputEvent: Equatable, Sendable {
    /// A key.
    case key(Key)
    /// Printable text: one typed character, or a run of them that arrived at
    /// once (a paste). Text fields take it whole or refuse it whole.
    case text(String)
    /// The terminal changed size.
    case resize(TerminalSize)
    /// The mouse (xterm's SGR reports, `ESC [ < b ; x ; y M`).
    case mouse(MouseEvent)
}

/// A mouse report: the wheel or a button press, at a cell (from 0).
struct MouseEvent: Equatable, Sendable {
    /// What happened.
    enum Kind: Equatable, Sendable {
        /// The wheel, one notch up or down.
        case wheelUp, wheelDown
        /// A button went down (0 left, 1 middle, 2 right).
        case press(Int)
    }

    /// What happened.
    var kind: Kind
    /// The column.
    var x: Int
    /// The row.
    var y: Int

    /// Creates a report.
    init(_ kind: Kind, x: Int, y: Int) {
        self.kind = kind
        self.x = x
        self.y = y
    }
}

/// Which keys mean what right now: the same key does different things in
/// the login form (where `q` is a letter) and in the table (where it quits).
enum InputContext: String, CaseIterable, Sendable {
    /// The login form: printable keys type.
    case login
    /// The product table.
    case table
    /// Typing the table's filter: printable keys type.
    case filter
    /// Typing the table's search (`n`, F3): printable keys type.
    case search
    /// The cache view (`c`): Doorman's entries and counters in Redis.
    case cache
    /// The users view (`u`).
    case users
    /// A question in the footer that takes text (a new name, a password).
    case prompt
    /// A y/N question in the footer.
    case confirm
    /// The help screen.
    case help
    /// The terminal is too small to draw in.
    case tooSmall

    /// `true` when printable keys type into a field.
    var takesText: Bool { self == .login || self == .filter || self == .search || self == .prompt }

    /// The heading of this context's keys on the help screen.
    var title: String {
        switch self {
        case .login: "Login form"
        case .table: "Product table"
        case .filter: "Filter (after /)"
        case .search: "Search (after n or F3)"
        case .cache: "Cache view (c)"
        case .users: "Users view (u)"
        case .prompt: "Typing an answer (b, users view)"
        case .confirm: "A y/N question"
        case .help: "Help"
        case .tooSmall: "Terminal too small"
        }
    }
}
