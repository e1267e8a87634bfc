import DoormanCore
import DoormanPostgres

// The stages of a login, each a small type behind a protocol. `AuthService`
// only orchestrates them; the gateways behind them are tested against the
// real servers, and the orchestration against fakes of these protocols.

/// Stage 1: brute-force limits, checked before anything else.
public protocol LoginThrottle: Sendable {
    /// Reads `subject`'s failure counters. Never throws: when its store
    /// cannot answer, the check answers from this process's own counts and
    /// says so (``ThrottleCheck/storeUnavailable``).
    func check(_ subject: ThrottleSubject) async -> ThrottleCheck
    /// Counts one failed login of `subject`.
    func recordFailure(_ subject: ThrottleSubject, after check: ThrottleCheck) async
    /// Notes a successful login: clears the pair's failures, remembers the client as known.
    func recordSuccess(_ subject: ThrottleSubject, after check: ThrottleCheck) async
    /// `true` when `subject` logged in successfully less than a second ago
    /// with every counter clear in the shared store, and has not failed in
    /// this process since: the in-memory tier may then skip the store's round trip.
    func isRecentlyClear(_ subject: ThrottleSubject) -> Bool
    /// Clears every counter that locks `username` out; returns how many there were.
    func unlock(_ username: String) async throws -> Int
}

/// Who is trying to log in as whom, for throttling.
public struct ThrottleSubject: Sendable, Hashable {
    /// The username as typed (it may match no user).
    public var username: String
    /// The client it came from.
    public var client: ClientIdentity

    /// Creates a subject.
    public init(username: String, client: ClientIdentity) {
        self.username = username
        self.client = client
    }
}

/// What a throttle check found.
public struct ThrottleCheck: Sendable, Equatable {
    /// Set when a limit is reached: refuse the login unchecked, and say when to try again.
    public var retryAfter: Duration?
    /// `true` when the throttle's store could not be asked: the counts came
    /// from this process, and the rest of the login should not wait for that store either.
    public var storeUnavailable: Bool
    /// The counters read (internal: the throttle's own business).
    var counts: ThrottleCounts

    init(retryAfter: Duration? = nil, storeUnavailable: Bool = false, counts: ThrottleCounts = ThrottleCounts()) {
        self.retryAfter = retryAfter
        self.storeUnavailable = storeUnavailable
        self.counts = counts
    }

    /// Nothing counted, nothing refused (throttling off).
    public static let allowed = ThrottleCheck()
}

/// Stage 3: the signed copies of users' hashes, in Redis.
public protocol CredentialCache: Sendable {
    /// Gets ready to check entries (reads the signing key), so that the first login need not.
    func prepare() async throws
    /// `username`'s cached entry, checked: signed with the key from
    /// PostgreSQL, unexpired, and not older than a password change this process knows of.
    func lookup(_ username: String) async -> CacheLookup
    /// Starts ``lookup(_:)`` now and returns without waiting for the store,
    /// so that the read shares a round trip with what the login sends next
    /// (the throttle's check). Finish it with ``StartedCacheLookup/result()``,
    /// or drop it.
    func startLookup(_ username: String) async -> StartedCacheLookup
    /// Caches `record` for `username` (unless a newer password is already
    /// known); `false` when the store could not be written.
    @discardableResult
    func fill(_ record: PasswordRecord, for username: String) async -> Bool
    /// Drops `username`'s entry; `true` if there was one.
    @discardableResult
    func evict(_ username: String) async throws -> Bool
    /// Drops `username`'s entry only if it is older than `version` (catching up on past changes).
    func evict(_ username: String, ifOlderThan version: Int64) async throws
    /// Drops every entry; returns how many there were.
    @discardableResult
    func evictAll() async throws -> Int
}

extension CredentialCache {
    /// Starts nothing early: the lookup runs when its result is asked for.
    public func startLookup(_ username: String) async -> StartedCacheLookup {
        StartedCacheLookup { await self.lookup(username) }
    }
}

/// A cache lookup on its way (see ``CredentialCache/startLookup(_:)``).
public struct StartedCacheLookup: Sendable {
    private let finish: @Sendable () async -> CacheLookup

    /// Creates a started lookup that `finish` completes.
    public init(finish: @escaping @Sendable () async -> CacheLookup) {
        self.finish = finish
    }

    /// What the cache held; ask once.
    public func result() async -> CacheLookup {
        await finish()
    }
}

/// What the cache held for a user.
public enum CacheLookup: Sendable, Equatable {
    /// A valid entry.
    case hit(CacheEntry)
    /// Nothing cached.
    case miss
    /// Something cached that must not be trusted (forged, expired, of an
    /// older password, unreadable): to be replaced.
    case refused
    /// The store could not be asked (down, late, or the signing key is unknown).
    case unavailable
}

/// Stage 4: the source of truth for a user's hash, with concurrent lookups
/// of one user sharing one query.
public protocol CredentialSource: Sendable {
    /// Looks `username` up. Throws `DoormanError` (`.timeout`, `.unavailable`,
    /// `.database`) when the source cannot answer in time.
    func lookUp(_ username: String) async throws -> CredentialLookup
    /// `true` if a lookup of `username` finished (and its login filled the
    /// cache) after `instant`: a caller that looked at the cache before then
    /// should look again rather than query once more.
    func landed(_ username: String, since instant: ContinuousClock.Instant) -> Bool
    /// The work factor most stored hashes have, or `nil` when no user has one.
    func typicalCost() async throws -> Int?
    /// Replaces `username`'s hash by `new` only if it is still `old` (a
    /// password changed meanwhile wins).
    func replaceHash(of username: String, old: String, new: String) async throws -> HashReplacement
}

/// What became of a rehash.
public enum HashReplacement: Sendable, Equatable {
    /// The stored hash is the new one.
    case replaced
    /// The stored hash had changed meanwhile (or the user is gone): left alone.
    case unchanged
    /// The role may not update users: rehashing is off for this process.
    case notPermitted
}

/// One caller's share of a lookup.
public struct CredentialLookup: Sendable {
    /// The stored hash and its version; `nil` when there is no such user.
    public var record: PasswordRecord?
    /// `true` for the caller whose call reached the source (followers shared it).
    public var queried: Bool
    private let ticket: (any LookupTicket)?

    /// Creates a lookup; `ticket` closes the shared flight when landed.
    init(record: PasswordRecord?, queried: Bool, ticket: (any LookupTicket)?) {
        self.record = record
        self.queried = queried
        self.ticket = ticket
    }

    /// Creates a lookup that shares nothing (for sources without single-flight).
    public init(record: PasswordRecord?, queried: Bool = true) {
        self.init(record: record, queried: queried, ticket: nil)
    }

    /// Done with the result (the cache is filled): later callers look up afresh.
    public func land() {
        ticket?.land()
    }
}

/// A flight a lookup keeps open until it is landed.
protocol LookupTicket: Sendable {
    func land()
}

extension SingleFlight.Ticket: LookupTicket {}

/// Stage 5: checking a password against a stored hash (the one CPU-bound step).
public protocol PasswordVerifier: Sendable {
    /// `true` when `password` matches `hash`; `false` for any failure.
    /// Returns how long the check itself took.
    func verify(_ password: String, against hash: String) async -> (matched: Bool, duration: Duration)
    /// A hash of the default cost to check unknown users against, until the
    /// cost most stored hashes have is known (see ``AuthService/refreshDummyHash()``).
    var dummyHash: String { get }
    /// `true` when `hash` is something this verifier can check.
    func canVerify(_ hash: String) -> Bool
    /// The work factor of `hash` (bcrypt's cost), or `nil` when it has none.
    func cost(of hash: String) -> Int?
    /// A new hash of `password` at `cost` (for rehashing weak hashes, and for
    /// dummy hashes of the cost users' hashes have).
    func hash(_ password: String, cost: Int) async throws -> String
}
