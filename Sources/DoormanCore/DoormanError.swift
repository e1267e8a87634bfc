/// An error Doorman reports to people.
///
/// The `description` is one line meant for a terminal or a log. It never
/// contains a password, a password hash, or a full connection string: sites
/// that build these errors pass redacted text only.
public struct DoormanError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is; it decides the exit code of the CLI.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case configuration, unavailable, invalidInput, notFound, database, stack, timeout
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A flag, environment variable or file is malformed.
        public static let configuration = Kind(.configuration)
        /// A server could not be reached or refused the connection.
        public static let unavailable = Kind(.unavailable)
        /// Input from a person was refused (too long, empty, control characters...).
        public static let invalidInput = Kind(.invalidInput)
        /// The named thing (a user) does not exist.
        public static let notFound = Kind(.notFound)
        /// The server answered with an error.
        public static let database = Kind(.database)
        /// The embedded PostgreSQL or Redis could not be started or stopped.
        public static let stack = Kind(.stack)
        /// Waiting for a server or a pooled connection took too long.
        public static let timeout = Kind(.timeout)

        public var description: String {
            switch base {
            case .configuration: "configuration"
            case .unavailable: "unavailable"
            case .invalidInput: "invalid input"
            case .notFound: "not found"
            case .database: "database"
            case .stack: "embedded stack"
            case .timeout: "timeout"
            }
        }
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// One line for people, free of secrets.
    public let message: String

    /// Creates an error; `message` must not contain secrets.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// `true` for failures that mean "the server could not be asked", as
    /// opposed to "the server said no".
    public var isUnavailable: Bool { kind == .unavailable || kind == .timeout }
}
