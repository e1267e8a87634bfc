import DoormanCore
import DoormanPasswords
import DoormanPostgres
import DoormanRedis
import Foundation
import Logging
import NIOPosix
import Synchronization

/// Where a login attempt came from, for the live statistics.
public enum AuthOrigin: String, Sendable, Hashable, CaseIterable {
    /// `doorman login`.
    case cli
    /// The terminal UI's login form (or its burst demo).
    case terminal
    /// The HTTP API.
    case http
}

/// The cache-aside login: Redis first, PostgreSQL on a miss, one uniform failure.
///
/// 1. Throttling: too many recent failures for this account and client, this
///    client, or this account from clients it does not know, and the login is
///    refused unchecked (``ThrottlePolicy``).
/// 2. With the in-memory tier on: the same credentials passed a bcrypt check
///    moments ago in this process, for a password version still current:
///    authenticated by Memory, without bcrypt.
/// 3. Look the user's entry up in Redis (in the same round trip as the
///    throttle counters). An entry that is signed, unexpired and not older than
///    a known password change (``CacheEntry``, ``CacheFreshness``), whose hash
///    matches the password: Redis authenticated the user.
/// 4. Otherwise read the hash from PostgreSQL; concurrent lookups for one user
///    share one query (``SingleFlight``). On a match, cache a signed entry in
///    Redis (with a time to live) and report PostgreSQL.
/// 5. Anything else is one uniform failure. An unknown user is checked against
///    a dummy hash, so it costs the same bcrypt time as a known one.
///
/// Redis being down never fails a login (the outcome says "cache
/// unavailable"); PostgreSQL being down on a cache miss is `.unavailable`,
/// never a wrong password.
public final class AuthService: Sendable {
    /// Settings of the login.
    public struct Configuration: Sendable {
        /// How long a cached entry lives (its Redis TTL and its signed expiry).
        public var cacheTTL: Duration
        /// Limits on failed logins.
        public var throttle: ThrottlePolicy
        /// The in-memory tier in front of Redis; `nil` (the default) leaves it off.
        public var memoryCache: MemoryCredentialCache.Configuration?

        /// Creates a configuration.
        public init(cacheTTL: Duration = RedisConfiguration.defaultCacheTTL, throttle: ThrottlePolicy = ThrottlePolicy(),
                    memoryCache: MemoryCredentialCache.Configuration? = nil) {
            self.cacheTTL = cacheTTL
            self.throttle = throttle
            self.memoryCache = memoryCache
        }
    }

    /// The source of truth.
    public let postgres: PostgresGateway
    /// The cache; `nil` runs without one (every login goes to PostgreSQL).
    public let redis: RedisGateway?
    /// Live counts and recent events, shared with the UI and the HTTP metrics.
    public let statistics: AuthStatistics
    /// Which cached versions are still good.
    public let freshness = CacheFreshness()
    /// The settings.
    public let configuration: Configuration
    /// The in-memory tier, when it is on.
    public let memoryCache: MemoryCredentialCache?
    let logger: Logger
    let threadPool: NIOThreadPool
    let lookups = SingleFlight<String, PasswordRecord?>()
    let localThrottle = LocalThrottleCounters()
    private let signingKey = Mutex<[UInt8]?>(nil)

    /// Creates the service over the two gateways.
    ///
    /// `threadPool` runs the blocking work of ``authenticate(username:password:origin:client:)``
    /// (libpq, hiredis, bcrypt); by default NIO's shared blocking pool, sized to the cores.
    public init(
        postgres: PostgresGateway,
        redis: RedisGateway?,
        configuration: Configuration? = nil,
        statistics: AuthStatistics = AuthStatistics(),
        threadPool: NIOThreadPool = .singleton,
        logger: Logger = Logger(label: "doorman.auth")
    ) {
        self.postgres = postgres
        self.redis = redis
        let configuration = configuration ?? Configuration(cacheTTL: redis?.configuration.cacheTTL ?? RedisConfiguration.defaultCacheTTL)
        self.configuration = configuration
        self.memoryCache = configuration.memoryCache.map(MemoryCredentialCache.init(configuration:))
        self.statistics = statistics
        self.threadPool = threadPool
        self.logger = logger
    }

    /// Logs in on a thread of the blocking pool; never blocks the caller's thread.
    public func authenticate(username: String, password: String, origin: AuthOrigin, client: ClientIdentity = .local) async -> AuthOutcome {
        do {
            return try await threadPool.runIfActive {
                self.authenticateBlocking(username: username, password: password, origin: origin, client: client)
            }
        } catch {
            // The pool is shutting down: the process is exiting.
            return AuthOutcome(username: username, result: .unavailable)
        }
    }

    /// Logs in on the calling thread, which may block (network and bcrypt).
    public func authenticateBlocking(username: String, password: String, origin: AuthOrigin, client: ClientIdentity = .local) -> AuthOutcome {
        var attempt = Attempt(username: username, client: client)
        let outcome = login(password: password, attempt: &attempt)
        statistics.record(outcome, origin: origin)
        // Metadata is built only for lines the log level lets through.
        func metadata(_ extra: Logger.Metadata = [:]) -> Logger.Metadata {
            extra.merging(["origin": "\(origin.rawValue)", "client": "\(client.value)"]) { $1 }
        }
        switch outcome.result {
        case .authenticated(let source):
            logger.debug("login succeeded", metadata: metadata(["user": "\(username)", "source": "\(source.rawValue)"]))
        case .rejected where attempt.failure == .wrongPassword:
            logger.notice("login failed: wrong password", metadata: metadata(["user": "\(username)"]))
        case .rejected:
            // No name: what was typed as a username may be a password typed in
            // the wrong field, and it matches no user anyway.
            logger.notice("login failed: \(attempt.failure == .unknownUser ? "unknown user" : "malformed credentials")", metadata: metadata())
        case .unavailable:
            logger.error("login unavailable: PostgreSQL cannot be reached", metadata: metadata())
        case .throttled(let retryAfter):
            logger.warning("login throttled", metadata: metadata(["user": "\(username)", "retry_after": "\(retryAfter.roundedUpForPeople)"]))
        }
        return outcome
    }

    /// One login's working state.
    struct Attempt {
        let username: String
        let client: ClientIdentity
        var failure = Failure.malformed
        var lookup = Duration.zero
        var bcrypt = Duration.zero
        var cacheUnavailable = false
        var counts = ThrottleCounts()
    }

    /// Why a login was rejected; for the log only, never shown to the client.
    enum Failure { case malformed, unknownUser, wrongPassword }

    private func login(password: String, attempt: inout Attempt) -> AuthOutcome {
        let clock = ContinuousClock()
        let username = attempt.username
        attempt.cacheUnavailable = redis == nil
        func outcome(_ result: AuthOutcome.Result, _ attempt: Attempt) -> AuthOutcome {
            AuthOutcome(username: username, result: result, cacheUnavailable: attempt.cacheUnavailable,
                        lookupDuration: attempt.lookup, bcryptDuration: attempt.bcrypt)
        }
        func verify(_ hash: String, _ attempt: inout Attempt) -> Bool {
            var matched = false
            attempt.bcrypt += clock.measure { matched = BCrypt.verify(password, against: hash) }
            return matched
        }

        guard (try? Credentials(username: username, password: password)) != nil else {
            return outcome(.rejected, attempt)
        }
        let keys = ThrottleKeys(username: username, client: attempt.client, prefix: throttlePrefix)
        let policy = configuration.throttle

        // 1. One Redis round trip: the cached entry and the throttle counters.
        var cachedText: String?
        let start = clock.now
        if let redis {
            do {
                let values = try redis.values(for: [redis.key(for: username)] + (policy.isDisabled ? [] : keys.all))
                cachedText = values[0].map { String(decoding: $0, as: UTF8.self) }
                if !policy.isDisabled { attempt.counts = Self.counts(from: Array(values[1...])) }
            } catch {
                attempt.cacheUnavailable = true
            }
        }
        if attempt.cacheUnavailable && !policy.isDisabled {
            attempt.counts = localThrottle.counts(keys)
        }
        attempt.lookup += clock.now - start

        // 2. Throttling.
        if let limit = policy.exceeded(attempt.counts) {
            let key = keys.key(limit)
            let left = attempt.cacheUnavailable ? localThrottle.timeLeft(key) : (try? redis?.timeLeft(key)) ?? nil
            return outcome(.throttled(retryAfter: left ?? policy.window(limit)), attempt)
        }

        // 3. The in-memory tier.
        if let memoryCache, let version = memoryCache.check(username: username, password: password),
           freshness.accepts(version, for: username) {
            recordSuccess(keys, &attempt)
            return outcome(.authenticated(.memory), attempt)
        }

        // 4. A Redis hit.
        let key = cachedText == nil ? nil : cacheSigningKey()
        let entry = cachedText.flatMap { validEntry($0, for: username, key: key) }
        if let entry, verify(entry.hash, &attempt) {
            remember(username, password, entry.version)
            recordSuccess(keys, &attempt)
            return outcome(.authenticated(.redis), attempt)
        }

        // 4b. A concurrent login of this user filled the cache after we looked:
        // look again rather than ask PostgreSQL once more.
        if entry == nil, !attempt.cacheUnavailable, lookups.landed(username, since: start),
           let text = try? redis?.cachedValue(for: username),
           let filled = validEntry(text, for: username, key: cacheSigningKey()), verify(filled.hash, &attempt) {
            remember(username, password, filled.version)
            recordSuccess(keys, &attempt)
            return outcome(.authenticated(.redis), attempt)
        }

        // 5. PostgreSQL, one query for concurrent logins of one user.
        let record: PasswordRecord?
        let flight: SingleFlight<String, PasswordRecord?>.Flight
        let lookupStart = clock.now
        do {
            (record, flight) = try lookups.join(username) {
                statistics.recordPostgresLookup()
                return try postgres.passwordRecord(for: username)
            }
        } catch {
            attempt.lookup += clock.now - lookupStart
            logger.error("PostgreSQL lookup failed", metadata: ["reason": "\((error as? DoormanError)?.message ?? "\(type(of: error))")"])
            return outcome(.unavailable, attempt)
        }
        defer { flight.land() }
        attempt.lookup += clock.now - lookupStart

        attempt.failure = .wrongPassword
        guard let record, BCrypt.isBcryptHash(record.hash) else {
            if record == nil { attempt.failure = .unknownUser }
            _ = verify(BCrypt.dummyHash, &attempt)  // an unknown user costs a known user's time
            if cachedText != nil { evict(username) }  // the user is gone
            recordFailure(keys, &attempt)
            return outcome(.rejected, attempt)
        }
        if let entry, entry.hash == record.hash {
            // The same hash was already checked against the cached copy: wrong password.
            recordFailure(keys, &attempt)
            return outcome(.rejected, attempt)
        }
        if cachedText != nil {
            evict(username)  // stale, expired, forged, or of an older password
        }
        guard verify(record.hash, &attempt) else {
            recordFailure(keys, &attempt)
            return outcome(.rejected, attempt)
        }
        if !attempt.cacheUnavailable {
            fill(record, for: username, &attempt)
        }
        remember(username, password, record.version)
        recordSuccess(keys, &attempt)
        return outcome(.authenticated(.postgres), attempt)
    }

    /// Writes a signed entry, unless a newer password is already known; and
    /// takes it back if a change arrives while it is being written (a change
    /// notification's own eviction may have run just before the write).
    private func fill(_ record: PasswordRecord, for username: String, _ attempt: inout Attempt) {
        guard let redis, freshness.accepts(record.version, for: username), let key = cacheSigningKey() else { return }
        let entry = CacheEntry(record: record, ttl: configuration.cacheTTL, now: Self.unixNow())
        do {
            try redis.cacheValue(entry.encoded(for: username, key: key), for: username, ttl: configuration.cacheTTL)
            if !freshness.accepts(record.version, for: username) {
                try redis.evict(username)
            }
        } catch {
            attempt.cacheUnavailable = true
        }
    }

    private func remember(_ username: String, _ password: String, _ version: Int64) {
        guard let memoryCache, freshness.accepts(version, for: username) else { return }
        memoryCache.remember(username: username, password: password, version: version)
    }

    /// A cached entry that is well formed, signed with `key`, unexpired, and
    /// not older than a password change this process knows of.
    private func validEntry(_ text: String, for username: String, key: [UInt8]?) -> CacheEntry? {
        guard let key, let entry = CacheEntry.decode(text, for: username, key: key, now: Self.unixNow()),
              freshness.accepts(entry.version, for: username) else { return nil }
        return entry
    }

    /// ``fill(_:for:_:)`` for tests of its races.
    func fillForTests(_ record: PasswordRecord, for username: String) {
        var attempt = Attempt(username: username, client: .local)
        fill(record, for: username, &attempt)
    }

    private func evict(_ username: String) {
        _ = try? redis?.evict(username)
    }

    private func recordFailure(_ keys: ThrottleKeys, _ attempt: inout Attempt) {
        let policy = configuration.throttle
        guard !policy.isDisabled else { return }
        let windows = [(keys.pair, policy.pairWindow), (keys.client, policy.clientWindow), (keys.account, policy.accountWindow)]
        if let redis, !attempt.cacheUnavailable {
            do {
                for (key, window) in windows { try redis.increment(key, window: window) }
                return
            } catch {
                attempt.cacheUnavailable = true
            }
        }
        for (key, window) in windows { localThrottle.increment(key, window: window) }
    }

    private func recordSuccess(_ keys: ThrottleKeys, _ attempt: inout Attempt) {
        let policy = configuration.throttle
        guard !policy.isDisabled, attempt.counts.pair > 0 || !attempt.counts.known else { return }
        if let redis, !attempt.cacheUnavailable {
            do {
                if attempt.counts.pair > 0 { try redis.delete([keys.pair]) }
                if !attempt.counts.known { try redis.set(keys.known, Array("1".utf8), ttl: policy.knownClientLifetime) }
                return
            } catch {
                attempt.cacheUnavailable = true
            }
        }
        localThrottle.remove(keys.pair)
        localThrottle.set(keys.known, lifetime: policy.knownClientLifetime)
    }

    private static func counts(from values: [[UInt8]?]) -> ThrottleCounts {
        func number(_ value: [UInt8]?) -> Int { value.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0 }
        return ThrottleCounts(pair: number(values[0]), client: number(values[1]), account: number(values[2]), known: values[3] != nil)
    }

    /// The key that signs cache entries, read from PostgreSQL once; `nil`
    /// (the cache is skipped) while PostgreSQL cannot be asked.
    func cacheSigningKey() -> [UInt8]? {
        if let key = signingKey.withLock({ $0 }) { return key }
        guard let key = try? postgres.cacheSigningKey() else { return nil }
        signingKey.withLock { $0 = key }
        return key
    }

    /// Loads the signing key now (at start-up), so the first login need not.
    public func prepare() throws {
        if signingKey.withLock({ $0 }) == nil {
            let key = try postgres.cacheSigningKey()
            signingKey.withLock { $0 = key }
        }
    }

    /// Where throttle counters live: under the Redis namespace (or Doorman's
    /// default one, for the in-process counters when there is no Redis).
    var throttlePrefix: String {
        redis?.configuration.throttleKeyPrefix ?? "doorman:throttle:"
    }

    static func unixNow() -> Int64 {
        Int64(Date().timeIntervalSince1970)
    }

    /// Drops `username`'s cached hash so the next login reads PostgreSQL.
    /// Returns `true` if there was one.
    @discardableResult
    public func flushCache(for username: String) throws -> Bool {
        memoryCache?.forget(username)
        guard let redis else { return false }
        let removed = try redis.evict(username)
        statistics.recordFlush(user: username)
        return removed
    }

    /// Drops every cached hash; returns how many there were.
    @discardableResult
    public func flushCache() throws -> Int {
        memoryCache?.forget(nil)
        guard let redis else { return 0 }
        let removed = try redis.evictAll()
        statistics.recordFlush(user: nil)
        return removed
    }

    /// Clears the failure counters that lock `username` out: the account's,
    /// and every client's for that account (not the per-client counters,
    /// which concern other accounts too). Returns how many were removed.
    @discardableResult
    public func unlock(_ username: String) throws -> Int {
        let (account, pairs) = ThrottleKeys.accountPrefixes(username: username, prefix: throttlePrefix)
        localThrottle.removeAll { $0 == account || $0.starts(with: pairs) }
        guard let redis else { return 0 }
        return try redis.delete([account]) + redis.deleteKeys(matchingPrefix: pairs)
    }
}
