import DoormanCore

/// What a piece of the screen is for (`table.header`, `status.redis`...),
/// never what colour it is: themes map roles to colours and attributes.
///
/// Roles are dotted names; a theme that does not style `table.selected.match`
/// falls back to `table.selected`, then `table`, then `default`. Roles that
/// name a store are made from ``AuthSource`` (`status.redis`,
/// `chart.postgres`), so a store added later gets its roles without code here.
struct Role: Hashable, Sendable, CustomStringConvertible {
    /// The dotted name, as theme files spell it.
    let name: String

    /// A role by name.
    init(_ name: String) {
        self.name = name
    }

    /// The dotted name.
    var description: String { name }

    /// The role this one falls back to: `table.selected.match` → `table.selected`
    /// → `table` → `default`; `nil` for `default`.
    var parent: Role? {
        if self == .default { return nil }
        guard let dot = name.lastIndex(of: ".") else { return .default }
        return Role(String(name[..<dot]))
    }

    /// Plain text on the terminal's own colours.
    static let `default` = Role("default")
    /// The title bar at the top.
    static let title = Role("title")
    /// A store in the title bar's health strip, by its state: `title.up`,
    /// `title.slow`, `title.down`, `title.off` (falling back to `title`).
    static func title(_ state: StoreStatus.State) -> Role {
        switch state {
        case .up: Role("title.up")
        case .slow: Role("title.slow")
        case .down: Role("title.down")
        case .off, .offByYou: Role("title.off")
        }
    }
    /// The product table's column headings.
    static let tableHeader = Role("table.header")
    /// An ordinary table row.
    static let tableRow = Role("table.row")
    /// The selected row.
    static let tableSelected = Role("table.selected")
    /// The part of a row that matches the filter.
    static let tableMatch = Role("table.match")
    /// The part of the selected row that matches the filter.
    static let tableSelectedMatch = Role("table.selected.match")
    /// The status line.
    static let status = Role("status")
    /// Good news (a flush done, a burst finished).
    static let statusOK = Role("status.ok")
    /// Bad news (a failed login, an outage, a broken theme).
    static let statusError = Role("status.error")
    /// Something to notice that is not a fault (the cache off on purpose).
    static let statusWarning = Role("status.warning")
    /// The store that authenticated the user, e.g. `status.redis`.
    static func status(_ source: AuthSource) -> Role { Role("status.\(source.rawValue)") }
    /// The cache panel's frame.
    static let panelBorder = Role("panel.border")
    /// The cache panel's section titles.
    static let panelTitle = Role("panel.title")
    /// The cache panel's text.
    static let panel = Role("panel")
    /// Secondary text in the panel (times, origins).
    static let panelMuted = Role("panel.muted")
    /// A store's bars in the latency charts, e.g. `chart.redis`.
    static func chart(_ source: AuthSource) -> Role { Role("chart.\(source.rawValue)") }
    /// The key hints at the bottom.
    static let footer = Role("footer")
    /// A key's name in the footer.
    static let footerKey = Role("footer.key")
    /// The login form's labels.
    static let loginLabel = Role("login.label")
    /// A login field.
    static let loginField = Role("login.field")
    /// The login field being typed into.
    static let loginFocus = Role("login.focus")
    /// The busy spinner.
    static let spinner = Role("spinner")
    /// The help screen's text.
    static let help = Role("help")
    /// A key's name on the help screen.
    static let helpKey = Role("help.key")
    /// A section title on the help screen.
    static let helpTitle = Role("help.title")

    /// Every role Doorman draws with (store roles for today's stores), for
    /// theme validation and documentation.
    static var all: [Role] {
        var roles: [Role] = [
            .default, .title, Role("title.up"), Role("title.slow"), Role("title.down"), Role("title.off"), Role("table"), .tableHeader, .tableRow, .tableSelected, .tableMatch, .tableSelectedMatch,
            .status, .statusOK, .statusError, .statusWarning, .panelBorder, .panelTitle, .panel, .panelMuted, Role("chart"),
            .footer, .footerKey, Role("login"), .loginLabel, .loginField, .loginFocus, .spinner, .help, .helpKey, .helpTitle,
        ]
        for source in AuthSource.allCases {
            roles.append(.status(source))
            roles.append(.chart(source))
        }
        return roles
    }

    /// `true` for roles a theme may style: the known ones, and `status.X` /
    /// `chart.X` for any store name X (so a theme can be ready for a store
    /// before Doorman has it).
    static func isKnown(_ name: String) -> Bool {
        if all.contains(Role(name)) { return true }
        for prefix in ["status.", "chart."] where name.hasPrefix(prefix) {
            let store = name.dropFirst(prefix.count)
            return !store.isEmpty && store.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        }
        return false
    }
}
