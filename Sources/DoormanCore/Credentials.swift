/// A username and password that passed Doorman's input rules.
///
/// The rules hold on every path (CLI, terminal UI, HTTP): a username is 1 to
/// ``maxUsernameLength`` characters with no control characters; a password is
/// 1 to ``maxPasswordBytes`` bytes of UTF-8 with no NUL or other control
/// characters. bcrypt reads only the first 72 bytes of a password, so a
/// longer one is refused rather than silently truncated.
///
/// Both parts are held as RFC 8265 prepares them (``PRECIS``): an NFD
/// spelling of a name logs in as its NFC twin, and a fullwidth `ｊｏｈｎ` as `john`.
public struct Credentials: Sendable, Equatable {
    /// The longest username, in characters (the `users.username` column is `VARCHAR(50)`).
    public static let maxUsernameLength = 50
    /// The longest password, in UTF-8 bytes: bcrypt's limit.
    public static let maxPasswordBytes = 72

    /// The username.
    public let username: String
    /// The password. Never log it, print it, or put it in an error.
    public let password: String

    /// Checks both parts; throws an ``DoormanError`` of kind `.invalidInput`
    /// whose message names the rule broken, never the value.
    public init(username: String, password: String) throws {
        let username = PRECIS.prepareUsername(username)
        let password = PRECIS.preparePassword(password)
        try Credentials.validate(username: username)
        try Credentials.validate(password: password)
        self.username = username
        self.password = password
    }

    /// Checks a username on its own (for `user del`, `cache flush USER`...).
    public static func validate(username: String) throws {
        if username.isEmpty {
            throw DoormanError(.invalidInput, "the username is empty")
        }
        if username.count > maxUsernameLength {
            throw DoormanError(.invalidInput, "the username is longer than \(maxUsernameLength) characters")
        }
        if username.unicodeScalars.contains(where: \.isControlCharacter) {
            throw DoormanError(.invalidInput, "the username contains control characters")
        }
    }

    /// Checks a password on its own (for `user add` and `user passwd`).
    public static func validate(password: String) throws {
        if password.isEmpty {
            throw DoormanError(.invalidInput, "the password is empty")
        }
        if password.utf8.count > maxPasswordBytes {
            throw DoormanError(.invalidInput, "the password is longer than \(maxPasswordBytes) bytes, which bcrypt would silently truncate")
        }
        if password.unicodeScalars.contains(where: \.isControlCharacter) {
            throw DoormanError(.invalidInput, "the password contains control characters")
        }
    }
}

extension Credentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Names the user only: printing, interpolating or dumping credentials
    /// never shows the password.
    public var description: String { "Credentials(username: \(username), password: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["username": username]) }
}

extension Unicode.Scalar {
    /// C0 and C1 controls and DEL (Unicode general category Cc).
    var isControlCharacter: Bool {
        value < 0x20 || (0x7F...0x9F).contains(value)
    }
}
