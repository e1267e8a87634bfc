import DoormanCore

/// Where the UI's data comes from: the gateways in this process
/// (`LocalBackend`, in DoormanLocalBackend) or a Doorman HTTP server (``RemoteBackend``). Every
/// method may be slow and is called off the UI thread.
public protocol UIBackend: Sendable {
    /// What the title bar, the footer and the help say about the mode.
    var mode: ModeInfo { get }

    /// Logs in once. Never throws: a failure is ``LoginResult/rejected`` or
    /// ``LoginResult/unavailable(_:)``.
    func logIn(_ credentials: Credentials) async -> LoginResult

    /// Every product, in `product_id` order.
    func products(as credentials: Credentials) async throws(BackendError) -> [Product]

    /// Drops `user`'s cached hash, or every one when `user` is `nil`.
    func flushCache(user: String?) async -> FlushResult

    /// A number that changes whenever the panel's data does (cheap; polled on the UI's timer).
    func panelVersion() -> PanelVersion

    /// The panel's data now.
    func panelSnapshot() -> PanelSnapshot

    /// PostgreSQL and Redis as up, slow, down or off, with their last round
    /// trip, for the header's health strip. Returns within about 250 ms
    /// however the stores behave; called off the UI thread.
    func storeHealth() async -> [StoreStatus]

    /// Takes Redis out of (or puts it back in) the path of this UI's logins (`o`).
    func setCacheBypassed(_ bypassed: Bool) -> Bool

    /// The `doorman serve` instances that publish to the shared Redis, for
    /// the panel's fleet page; `credentials` are the logged-in user's (`nil`
    /// before a login), for a server that asks for them. Called off the UI thread.
    func fleet(as credentials: Credentials?) async throws(BackendError) -> [FleetMember]
}

extension UIBackend {
    /// No health known (a backend that cannot tell).
    public func storeHealth() async -> [StoreStatus] { [] }

    /// Takes Redis out of (or puts it back in) the path of this UI's logins;
    /// `false` when this backend cannot (``ModeInfo/canBypassCache``).
    public func setCacheBypassed(_ bypassed: Bool) -> Bool { false }

    /// No fleet (a backend that cannot see one).
    public func fleet(as credentials: Credentials?) async throws(BackendError) -> [FleetMember] {
        throw BackendError("no fleet view in this mode", unavailable: false)
    }
}

/// What a poll compares to see whether the panel must be gathered again.
public struct PanelVersion: Equatable, Sendable {
    /// The statistics' generation.
    public var statistics: UInt64
    /// The hosted server's responses so far.
    public var responses: Int

    /// Creates a version.
    public init(statistics: UInt64, responses: Int = 0) {
        self.statistics = statistics
        self.responses = responses
    }
}

/// Why a backend could not deliver, in words for the footer.
public struct BackendError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One line, free of secrets.
    public var message: String
    /// `true` when the service could not be reached (as opposed to refusing).
    public var isUnavailable: Bool

    /// Creates an error.
    public init(_ message: String, unavailable: Bool = true) {
        self.message = message
        self.isUnavailable = unavailable
    }

    /// The message.
    public var description: String { message }
}
