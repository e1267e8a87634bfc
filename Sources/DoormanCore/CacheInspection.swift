/// One of Doorman's cached credentials in Redis, as an operator may see it:
/// whose it is, its password version and time left, and whether a login
/// would take it. Never the hash.
public struct CachedCredential: Sendable, Equatable, Codable {
    /// What a login would make of the entry.
    public enum State: String, Sendable, Equatable, Codable {
        /// Signed for this user, not expired, and of PostgreSQL's current password version.
        case valid
        /// Signed and unexpired, but older than the password in PostgreSQL: refused.
        case stale
        /// Past its signed expiry (Redis' TTL outlived it): refused.
        case expired
        /// Not a well-formed entry signed with Doorman's key for this user: refused.
        case forged
        /// The user is no longer in PostgreSQL: refused (by version, once known).
        case orphaned
        /// The signing key (in PostgreSQL) could not be read: the entry cannot be judged.
        case unknown

        /// `true` when a login would take the entry.
        public var isValid: Bool { self == .valid }

        /// A word for the table.
        public var label: String {
            switch self {
            case .valid: "valid"
            case .stale: "stale: refused"
            case .expired: "expired: refused"
            case .forged: "bad signature: refused"
            case .orphaned: "no such user: refused"
            case .unknown: "cannot check (no key)"
            }
        }
    }

    /// The user (cache keys are only ever written for users PostgreSQL knows).
    public var username: String
    /// The password version the entry claims, when it is readable.
    public var version: Int64?
    /// `users.pwd_version` in PostgreSQL now; `nil` when the user is gone or PostgreSQL was not asked.
    public var currentVersion: Int64?
    /// Redis' time to live, in milliseconds; `nil` when the key never expires.
    public var timeToLiveMilliseconds: Int64?
    /// What a login would make of it.
    public var state: State

    /// Creates a description of an entry.
    public init(username: String, version: Int64?, currentVersion: Int64?, timeToLiveMilliseconds: Int64?, state: State) {
        self.username = username
        self.version = version
        self.currentVersion = currentVersion
        self.timeToLiveMilliseconds = timeToLiveMilliseconds
        self.state = state
    }
}

/// One of the throttle's failure counters in Redis. Counter names are HMACs
/// (no typed username, no client address): the user is named only when it is
/// one PostgreSQL knows, else the counter shows its name's prefix.
public struct ThrottleCounter: Sendable, Equatable, Codable {
    /// What the counter counts.
    public enum Kind: String, Sendable, Equatable, Codable {
        /// Failures for one account, from every client.
        case account
        /// Failures for one account from one client.
        case pair
        /// Failures from one client, for every account.
        case client
    }

    /// What it counts.
    public var kind: Kind
    /// The account, when it is a user PostgreSQL knows; `nil` for unknown
    /// names (never shown: often a password typed into the wrong field) and for client counters.
    public var username: String?
    /// The first hex digits of the HMAC that names the account (or, for a client counter, the client).
    public var subject: String
    /// Failures counted.
    public var count: Int
    /// Time left before the counter goes, in milliseconds; `nil` when it never expires.
    public var timeToLiveMilliseconds: Int64?

    /// Creates a description of a counter.
    public init(kind: Kind, username: String?, subject: String, count: Int, timeToLiveMilliseconds: Int64?) {
        self.kind = kind
        self.username = username
        self.subject = subject
        self.count = count
        self.timeToLiveMilliseconds = timeToLiveMilliseconds
    }

    /// `alice`, `(unknown user) 3fa9c2d1`, or `(client) 0b1c2d3e`.
    public var who: String {
        if let username { return username }
        return kind == .client ? "(client) \(subject)" : "(unknown user) \(subject)"
    }
}

/// One user as the users view shows it: no hash, ever.
public struct UserSummary: Sendable, Equatable, Codable {
    /// The username.
    public var username: String
    /// `users.pwd_version`.
    public var version: Int64
    /// The cached entry's time to live (ms) when one is cached; `nil` when none is.
    public var cachedTimeToLiveMilliseconds: Int64?
    /// `true` when an entry is cached for the user.
    public var cached: Bool
    /// Failures on the account counter (every client).
    public var accountFailures: Int
    /// The most failures from one client (the pair counters).
    public var pairFailures: Int
    /// `true` when the throttle refuses the account now (the account counter, or a pair counter, at its limit).
    public var locked: Bool

    /// Creates a summary.
    public init(username: String, version: Int64, cached: Bool, cachedTimeToLiveMilliseconds: Int64?, accountFailures: Int, pairFailures: Int, locked: Bool) {
        self.username = username
        self.version = version
        self.cached = cached
        self.cachedTimeToLiveMilliseconds = cachedTimeToLiveMilliseconds
        self.accountFailures = accountFailures
        self.pairFailures = pairFailures
        self.locked = locked
    }
}
