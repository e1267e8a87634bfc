import DoormanCore

/// The users view (`u`): every user with their cache state, failure counts
/// and lock state; add (`a`), change a password (`p`), delete (`D`, after a
/// y/N question) and unlock (`U`). A prompt in the footer takes a new name
/// or a password, twice (masked: never drawn, never kept after the change is
/// asked for), as passwd(1) asks: a typo in a field nobody can see would
/// otherwise set a password nobody knows.
struct UsersViewState: Equatable, Sendable {
    /// What the footer asks for.
    enum Prompt: Equatable, Sendable {
        /// A new user's name.
        case newName(TextField)
        /// The new user's password.
        case newPassword(user: String, TextField)
        /// A new password for an existing user.
        case changePassword(user: String, TextField)
        /// The same password again (`adding`: for a new user, else a change).
        case repeatPassword(user: String, first: String, adding: Bool, TextField)
        /// `Delete USER? y/N`.
        case confirmDelete(user: String)

        /// The field being typed into, if any.
        var field: TextField? {
            switch self {
            case .newName(let field), .newPassword(_, let field), .changePassword(_, let field), .repeatPassword(_, _, _, let field): field
            case .confirmDelete: nil
            }
        }

        /// `true` for the password prompts (masked).
        var isSecret: Bool {
            switch self {
            case .newPassword, .changePassword, .repeatPassword: true
            default: false
            }
        }

        /// The prompt's words.
        var label: String {
            switch self {
            case .newName: "New user's name: "
            case .newPassword(let user, _): "Password for \(user): "
            case .changePassword(let user, _): "New password for \(user): "
            case .repeatPassword: "The same password again: "
            case .confirmDelete(let user): "Delete \(user)? y/N "
            }
        }

        /// The same prompt with `field` edited.
        func with(_ field: TextField) -> Prompt {
            switch self {
            case .newName: .newName(field)
            case .newPassword(let user, _): .newPassword(user: user, field)
            case .changePassword(let user, _): .changePassword(user: user, field)
            case .repeatPassword(let user, let first, let adding, _): .repeatPassword(user: user, first: first, adding: adding, field)
            case .confirmDelete: self
            }
        }

        static func nameField() -> TextField { TextField(limit: .characters(Credentials.maxUsernameLength)) }
        static func passwordField() -> TextField { TextField(limit: .utf8Bytes(Credentials.maxPasswordBytes)) }
    }

    /// The users, sorted by name.
    private(set) var users: [UserSummary] = []
    /// `true` once a first answer arrived.
    private(set) var loaded = false
    /// Why the last read failed.
    var error: String?
    /// The selected row.
    private(set) var selected = 0
    /// The first row shown.
    private(set) var top = 0
    /// How many rows fit.
    private(set) var viewport = 1
    /// The footer's question, while one is asked.
    var prompt: Prompt?
    /// `true` while an add, a change or a delete runs.
    var pending = false
    /// A user to select once listed (one just added).
    private(set) var wanted: String?

    /// The selected user, if any.
    var selectedUser: UserSummary? { users.indices.contains(selected) ? users[selected] : nil }

    /// Takes a refresh; the selection stays on its user when still there.
    mutating func load(_ users: [UserSummary]) {
        let kept = wanted ?? selectedUser?.username
        if let wanted, users.contains(where: { $0.username == wanted }) { self.wanted = nil }
        self.users = users
        loaded = true
        error = nil
        if let kept, let index = users.firstIndex(where: { $0.username == kept }) { selected = index }
        clamp()
    }

    /// Selects `username` when it is listed.
    mutating func select(_ username: String) {
        if let index = users.firstIndex(where: { $0.username == username }) {
            selected = index
            clamp()
        } else {
            wanted = username
        }
    }

    mutating func moveSelection(by delta: Int) { selected += delta; clamp() }
    mutating func page(down: Bool) { moveSelection(by: down ? max(1, viewport - 1) : -max(1, viewport - 1)) }
    mutating func jump(toEnd: Bool) { selected = toEnd ? users.count - 1 : 0; clamp() }
    mutating func setViewport(rows: Int) { viewport = max(1, rows); clamp() }

    private mutating func clamp() {
        selected = max(0, min(selected, users.count - 1))
        if selected < top { top = selected }
        if selected >= top + viewport { top = selected - viewport + 1 }
        top = max(0, min(top, max(0, users.count - viewport)))
    }
}
