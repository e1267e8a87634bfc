import DoormanCore

/// A successful login as the UI shows it: who, which store said yes, and
/// what it cost.
public struct Authentication: Equatable, Sendable {
    /// Where the timings come from.
    public enum Timing: Equatable, Sendable {
        /// Measured in this process: the hash lookup and the bcrypt check.
        case local(lookup: Duration, bcrypt: Duration)
        /// Measured by this client around an HTTP request to `server`;
        /// `instance` is the Doorman that answered (its `X-Doorman-Instance`),
        /// which behind a load balancer is one of several.
        case remote(roundTrip: Duration, server: String, instance: String? = nil)
    }

    /// The user.
    public var username: String
    /// The store that authenticated the user.
    public var source: AuthSource
    /// `true` when Redis could not be used for this login.
    public var cacheUnavailable: Bool
    /// The timings.
    public var timing: Timing
    /// `true` when the person took Redis out of this process's path (`o`) for this login.
    public var cacheBypassed: Bool

    /// Creates an authentication.
    public init(username: String, source: AuthSource, cacheUnavailable: Bool = false, cacheBypassed: Bool = false, timing: Timing) {
        self.username = username
        self.source = source
        self.cacheUnavailable = cacheUnavailable
        self.cacheBypassed = cacheBypassed
        self.timing = timing
    }

    /// `Authenticated by Redis`: the words scripts and tests look for.
    public var verdict: String { "Authenticated by \(source.displayName)" }

    /// The timing part of the status line: `lookup 0.05 ms · bcrypt 46 ms`.
    public var timingSummary: String {
        switch timing {
        case .local(let lookup, let bcrypt): "lookup \(lookup.milliseconds) · bcrypt \(bcrypt.milliseconds)"
        case .remote(let roundTrip, _, let instance?): "answered by \(instance) · round trip \(roundTrip.milliseconds)"
        case .remote(let roundTrip, let server, nil): "via \(server) · round trip \(roundTrip.milliseconds)"
        }
    }
}

/// How a login attempt ended.
public enum LoginResult: Equatable, Sendable {
    /// The user is in.
    case authenticated(Authentication)
    /// Wrong password, unknown user, malformed input: one message for all.
    case rejected
    /// The login could not be decided (PostgreSQL down, the server
    /// unreachable); the text says what, and is never "Authentication failed."
    case unavailable(String)
    /// Too many failed logins for this account or client: try again after `retryAfter`.
    case throttled(retryAfter: Duration)
}

/// One login of a burst, for the side-by-side latencies.
struct BurstSample: Equatable, Sendable {
    /// The store that authenticated it; `nil` when it failed.
    var source: AuthSource?
    /// The hash lookup (locally) or the round trip (remote).
    var latency: Duration

    /// Creates a sample.
    init(source: AuthSource?, latency: Duration) {
        self.source = source
        self.latency = latency
    }
}

/// A burst of logins with the current user's credentials.
struct BurstState: Equatable, Sendable {
    /// How many logins it makes.
    var total: Int
    /// The logins so far, in order.
    var samples: [BurstSample] = []
    /// `true` once every login finished (or the burst stopped).
    var finished = false
    /// Why it stopped early, if it did.
    var failure: String?

    /// A burst about to start.
    init(total: Int) {
        self.total = total
    }
}

/// A line of news for the person at the keyboard.
struct Message: Equatable, Sendable {
    /// How it is shown.
    enum Kind: Equatable, Sendable {
        /// Plain news.
        case info
        /// Something done.
        case ok
        /// Something failed.
        case error
    }

    /// The text.
    var text: String
    /// How it is shown.
    var kind: Kind

    /// Creates a message.
    init(_ text: String, _ kind: Kind = .info) {
        self.text = text
        self.kind = kind
    }
}

/// What the UI is connected to, for the title bar, the footer and the help.
public struct ModeInfo: Equatable, Sendable {
    /// `local` or `remote`.
    public var name: String
    /// Where the data comes from, e.g. `embedded PostgreSQL · embedded Redis`
    /// or `http://127.0.0.1:8080`.
    public var detail: String
    /// `false` when the cache cannot be flushed from here (remote mode).
    public var canFlush: Bool
    /// Why flushing is unavailable, for the footer and the help.
    public var flushUnavailableReason: String?
    /// What the panel's latencies measure: `lookup` locally, `round trip` remotely.
    public var latencyName: String
    /// `true` when this process runs without a cache on purpose (`--no-cache`):
    /// logins say "cache off", not "cache unavailable" as for a fault.
    public var cacheOff: Bool
    /// `true` when `o` can take Redis out of this UI's path (local, with a cache).
    public var canBypassCache: Bool
    /// Why the users view cannot add, change or delete users here (`nil` when it can).
    public var userChangesUnavailableReason: String?
    /// `true` when `O` can stop and start the embedded stack's Redis (local, embedded Redis).
    public var canStopEmbeddedRedis: Bool

    /// Creates a description.
    public init(name: String, detail: String, canFlush: Bool = true, flushUnavailableReason: String? = nil, latencyName: String = "lookup",
                cacheOff: Bool = false, canBypassCache: Bool = false, userChangesUnavailableReason: String? = nil, canStopEmbeddedRedis: Bool = false) {
        self.canStopEmbeddedRedis = canStopEmbeddedRedis
        self.userChangesUnavailableReason = userChangesUnavailableReason
        self.canBypassCache = canBypassCache
        self.name = name
        self.detail = detail
        self.canFlush = canFlush
        self.flushUnavailableReason = flushUnavailableReason
        self.latencyName = latencyName
        self.cacheOff = cacheOff
    }
}

/// One login of the one-key demo (`d`): which store answered and what it cost.
struct DemoLogin: Equatable, Sendable {
    /// The store that authenticated the user; `nil` when the login failed.
    var source: AuthSource?
    /// The hash lookup (locally) or the round trip (remotely).
    var lookup: Duration
    /// bcrypt (locally; `nil` remotely).
    var bcrypt: Duration?
    /// From asking to the answer, as this UI measured it.
    var total: Duration

    /// Creates a demo login.
    init(source: AuthSource?, lookup: Duration, bcrypt: Duration?, total: Duration) {
        self.source = source
        self.lookup = lookup
        self.bcrypt = bcrypt
        self.total = total
    }
}

/// The one-key demo: flush, log in, log in again.
struct DemoState: Equatable, Sendable {
    /// The logins so far (two when it is done).
    var logins: [DemoLogin] = []
    /// `true` once it ended.
    var finished = false
    /// Why it stopped early, if it did.
    var failure: String?

    /// A demo about to start.
    init() {}
}
