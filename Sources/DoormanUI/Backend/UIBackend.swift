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

    /// The cached entries in Redis, judged as a login would judge them
    /// (the cache view, `c`). Remotely through `GET /admin/cache` as `credentials`.
    func cacheEntries(as credentials: Credentials) async throws(BackendError) -> [CachedCredential]

    /// The throttle's counters in Redis with their time left (the cache view).
    /// Remotely through `GET /admin/throttle`.
    func throttleCounters(as credentials: Credentials) async throws(BackendError) -> [ThrottleCounter]

    /// Drops `user`'s cached entry (the cache view's `x`). Remotely through `DELETE /admin/cache/{user}`.
    func flushEntry(of user: String, as credentials: Credentials) async -> FlushResult

    /// Clears the counters that lock `user` out (`U`); returns how many went.
    /// Remotely through `DELETE /admin/throttle/{user}`.
    func unlock(_ user: String, as credentials: Credentials) async throws(BackendError) -> Int

    /// Stops (`false`) or starts the embedded stack's Redis (`O`); `nil` when
    /// done, else why not. Only when ``ModeInfo/canStopEmbeddedRedis``.
    func setEmbeddedRedisRunning(_ running: Bool) async -> String?

    /// Every user with their cache and lock state (the users view, `u`).
    /// Remotely through `GET /admin/users`.
    func users(as credentials: Credentials) async throws(BackendError) -> [UserSummary]

    /// Adds a user (`a`); returns the name as stored.
    func addUser(_ name: String, password: String, as credentials: Credentials) async throws(BackendError) -> String

    /// Sets a user's password (`p`); the cached hash goes at once.
    func setPassword(of user: String, to password: String, as credentials: Credentials) async throws(BackendError)

    /// Deletes a user (`D`); the cached hash goes at once.
    func deleteUser(_ user: String, as credentials: Credentials) async throws(BackendError)
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

    /// Not available (a backend that cannot see Redis).
    public func cacheEntries(as credentials: Credentials) async throws(BackendError) -> [CachedCredential] {
        throw BackendError("the cache cannot be seen from here", unavailable: false)
    }

    /// Not available (a backend that cannot see Redis).
    public func throttleCounters(as credentials: Credentials) async throws(BackendError) -> [ThrottleCounter] {
        throw BackendError("the throttle cannot be seen from here", unavailable: false)
    }

    /// The same as ``flushCache(user:)``.
    public func flushEntry(of user: String, as credentials: Credentials) async -> FlushResult {
        await flushCache(user: user)
    }

    /// Not available.
    public func setEmbeddedRedisRunning(_ running: Bool) async -> String? { "the embedded Redis is not this UI's to stop" }

    /// Not available (a backend that cannot see the users).
    public func users(as credentials: Credentials) async throws(BackendError) -> [UserSummary] {
        throw BackendError("the users cannot be listed from here", unavailable: false)
    }

    /// Not available.
    public func addUser(_ name: String, password: String, as credentials: Credentials) async throws(BackendError) -> String {
        throw BackendError(mode.userChangesUnavailableReason ?? "users cannot be changed from here", unavailable: false)
    }

    /// Not available.
    public func setPassword(of user: String, to password: String, as credentials: Credentials) async throws(BackendError) {
        throw BackendError(mode.userChangesUnavailableReason ?? "users cannot be changed from here", unavailable: false)
    }

    /// Not available.
    public func deleteUser(_ user: String, as credentials: Credentials) async throws(BackendError) {
        throw BackendError(mode.userChangesUnavailableReason ?? "users cannot be changed from here", unavailable: false)
    }

    /// Not available (a backend that cannot reach the throttle).
    public func unlock(_ user: String, as credentials: Credentials) async throws(BackendError) -> Int {
        throw BackendError("unlocking is not available here", unavailable: false)
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
