import DoormanCore
import DoormanPostgres
import Logging

/// The cache-aside login, as an orchestration of stages:
///
/// 1. ``LoginThrottle``: too many recent failures for this account and
///    client, this client, or this account from clients it does not know,
///    and the login is refused unchecked. The cache's read (3) is started
///    just before (``CredentialCache/startLookup(_:)``), so that both share
///    one round trip; a refused login never looks at what it read.
/// 2. With the in-memory tier on: the same credentials passed a bcrypt check
///    moments ago in this process, for a password version still current:
///    authenticated by Memory, without bcrypt.
/// 3. ``CredentialCache``: an entry that is signed, unexpired and not older
///    than a known password change, whose hash matches the password: Redis
///    authenticated the user.
/// 4. Otherwise ``CredentialSource`` (PostgreSQL; concurrent lookups of one
///    user share one query). On a match, cache a signed entry and report
///    PostgreSQL.
/// 5. Anything else is one uniform failure. An unknown user is checked
///    against the ``PasswordVerifier``'s dummy hash, so it costs a known user's time.
///
/// Every stage bounds its own store calls with a deadline. Redis down or late
/// never fails a login (the outcome says "cache unavailable", and the rest of
/// the login does not wait for Redis again); PostgreSQL down or late on a
/// cache miss is `.unavailable`, never a wrong password.
public final class AuthService: Sendable {
    /// Settings of the login.
    public struct Configuration: Sendable {
        /// How long a cached entry lives (its Redis TTL and its signed expiry).
        public var cacheTTL: Duration
        /// Limits on failed logins.
        public var throttle: ThrottlePolicy
        /// The in-memory tier in front of Redis; `nil` (the default) leaves it off.
        public var memoryCache: MemoryCredentialCache.Configuration?
        /// The bcrypt cost stored hashes should have (`--bcrypt-cost`, 10).
        public var bcryptCost: Int
        /// Whether a weaker hash is replaced after a successful login. Off
        /// unless asked for, as it writes to users; `doorman` asks for it
        /// unless `--no-rehash` (see `Settings`).
        public var rehash: Bool

        /// Creates a configuration.
        public init(cacheTTL: Duration = .seconds(300), throttle: ThrottlePolicy = ThrottlePolicy(),
                    memoryCache: MemoryCredentialCache.Configuration? = nil, bcryptCost: Int = 10, rehash: Bool = false) {
            self.cacheTTL = cacheTTL
            self.throttle = throttle
            self.memoryCache = memoryCache
            self.bcryptCost = bcryptCost
            self.rehash = rehash
        }
    }

    /// The stages a login goes through.
    public struct Stages: Sendable {
        /// Brute-force limits.
        public var throttle: any LoginThrottle
        /// The Redis copy of users' hashes; `nil` runs without one (`--no-cache`).
        public var cache: (any CredentialCache)?
        /// The source of truth.
        public var source: any CredentialSource
        /// bcrypt.
        public var verifier: any PasswordVerifier

        /// Creates the stages.
        public init(throttle: any LoginThrottle, cache: (any CredentialCache)?, source: any CredentialSource, verifier: any PasswordVerifier) {
            self.throttle = throttle
            self.cache = cache
            self.source = source
            self.verifier = verifier
        }
    }

    /// The stages.
    public let stages: Stages
    /// Live counts and recent events, shared with the UI and the HTTP metrics.
    public let statistics: AuthStatistics
    /// Which cached versions are still good (fed by the ``CacheInvalidator``).
    public let freshness: CacheFreshness
    /// The settings.
    public let configuration: Configuration
    /// The in-memory tier, when it is on.
    public let memoryCache: MemoryCredentialCache?
    /// The dummy hash's cost, and rehashing.
    let hashes: HashUpkeep
    let logger: Logger

    /// Creates the service over its stages. `freshness` must be the one the
    /// cache stage consults, so that both refuse the same stale versions.
    public convenience init(stages: Stages, freshness: CacheFreshness, configuration: Configuration = Configuration(),
                            statistics: AuthStatistics = AuthStatistics(), logger: Logger = Logger(label: "doorman.auth")) {
        self.init(stages: stages, freshness: freshness, configuration: configuration, statistics: statistics, logger: logger,
                  hashes: HashUpkeep(policy: .init(cost: configuration.bcryptCost, rehash: configuration.rehash),
                                     source: stages.source, verifier: stages.verifier, logger: logger))
    }

    private init(stages: Stages, freshness: CacheFreshness, configuration: Configuration, statistics: AuthStatistics,
                 logger: Logger, hashes: HashUpkeep) {
        self.stages = stages
        self.freshness = freshness
        self.configuration = configuration
        self.memoryCache = configuration.memoryCache.map(MemoryCredentialCache.init(configuration:))
        self.statistics = statistics
        self.logger = logger
        self.hashes = hashes
    }

    /// The same login without Redis and without the in-memory tier: the UI's
    /// `o`, and an admin's `X-Doorman-Cache: bypass`. It shares this service's
    /// throttle, source, verifier, freshness, statistics and dummy hash, so a
    /// login that skips the cache counts and costs as any other.
    public func withoutCache() -> AuthService {
        var direct = configuration
        direct.memoryCache = nil
        return AuthService(stages: Stages(throttle: stages.throttle, cache: nil, source: stages.source, verifier: stages.verifier),
                           freshness: freshness, configuration: direct, statistics: statistics, logger: logger, hashes: hashes)
    }

    /// Gives the dummy hash that unknown users are checked against the cost
    /// most stored hashes have. Call at start and after users change (the
    /// ``CacheInvalidator`` does).
    public func refreshDummyHash() async {
        await hashes.refreshDummyHash()
    }

    /// `true` when a Redis cache is configured.
    public var hasCache: Bool { stages.cache != nil }

    /// Logs in. Never throws: every failure is an outcome.
    public func authenticate(username: String, password: String, origin: AuthOrigin, client: ClientIdentity = .local) async -> AuthOutcome {
        let (outcome, failure) = await login(username: username, password: password, client: client)
        // The statistics (the UI's panel, the metrics) name a user only when that user exists.
        let known = outcome.isAuthenticated || failure == .wrongPassword
        statistics.record(known ? outcome : outcome.hidingUsername, origin: origin)
        // Metadata is built only for lines the log level lets through.
        func metadata(_ extra: Logger.Metadata = [:]) -> Logger.Metadata {
            extra.merging(["origin": "\(origin.rawValue)", "client": "\(client.value)"]) { $1 }
        }
        switch outcome.result {
        case .authenticated(let source):
            logger.debug("login succeeded", metadata: metadata(["user": "\(outcome.username)", "source": "\(source.rawValue)"]))
        case .rejected where failure == .wrongPassword:
            logger.notice("login failed: wrong password", metadata: metadata(["user": "\(outcome.username)"]))
        case .rejected:
            // No name: what was typed as a username may be a password typed in
            // the wrong field, and it matches no user anyway.
            logger.notice("login failed: \(failure == .unknownUser ? "unknown user" : "malformed credentials")", metadata: metadata())
        case .unavailable:
            logger.error("login unavailable: PostgreSQL cannot be reached", metadata: metadata())
        case .throttled(let retryAfter):
            // No name either: the counters were not checked against a user.
            logger.notice("login throttled", metadata: metadata(["retry_after": "\(retryAfter.roundedUpForPeople)"]))
        }
        return outcome
    }

    /// Why a login was rejected; for the log only, never shown to the client.
    enum Failure { case malformed, unknownUser, wrongPassword }

    private func login(username typedUsername: String, password typedPassword: String, client: ClientIdentity) async -> (AuthOutcome, Failure) {
        // What was typed, prepared as RFC 8265 asks (NFC, width mapping); the
        // rest of the login sees only the prepared spelling.
        let credentials = try? Credentials(username: typedUsername, password: typedPassword)
        let username = credentials?.username ?? typedUsername
        let password = credentials?.password ?? typedPassword
        let clock = ContinuousClock()
        var lookup = Duration.zero
        var bcrypt = Duration.zero
        var cacheUnavailable = false
        func outcome(_ result: AuthOutcome.Result) -> AuthOutcome {
            AuthOutcome(username: username, result: result, cacheUnavailable: cacheUnavailable,
                        lookupDuration: lookup, bcryptDuration: bcrypt)
        }
        func verify(_ hash: String) async -> Bool {
            let (matched, duration) = await stages.verifier.verify(password, against: hash)
            bcrypt += duration
            return matched
        }

        guard credentials != nil else {
            return (outcome(.rejected), .malformed)
        }
        let subject = ThrottleSubject(username: username, client: client)
        let throttle = stages.throttle
        let start = clock.now

        // 0. The in-memory tier's fast path: the right password (a memory hit
        // needs it) of a subject whose counters the throttle found clear less
        // than a second ago. Guesses never take it: a wrong password is no hit.
        // A login asked to renew the entry goes the whole way instead.
        var renewing = false
        if let memoryCache, throttle.isRecentlyClear(subject) {
            switch memoryCache.check(username: username, password: password) {
            case .hit(let version) where freshness.accepts(version, for: username):
                return (outcome(.authenticated(.memory)), .malformed)
            case .renew: renewing = true
            case .hit, .miss: break
            }
        }

        // 1. Throttling. Its store is Redis: when Redis does not answer, the
        // rest of the login does not wait for it again. The cache's read (3)
        // goes out first and shares the check's round trip; it is used only
        // once the throttle lets the login on.
        let startedLookup = await stages.cache?.startLookup(username)
        let check = await throttle.check(subject)
        cacheUnavailable = check.storeUnavailable && stages.cache != nil
        lookup += clock.now - start
        if let retryAfter = check.retryAfter {
            return (outcome(.throttled(retryAfter: retryAfter)), .malformed)
        }

        // 2. The in-memory tier (unless this login renews it).
        if let memoryCache, !renewing, case .hit(let version) = memoryCache.check(username: username, password: password),
           freshness.accepts(version, for: username) {
            await throttle.recordSuccess(subject, after: check)
            return (outcome(.authenticated(.memory)), .malformed)
        }

        // 3. The Redis cache.
        var cached = CacheLookup.miss
        if let startedLookup, !cacheUnavailable {
            let cacheStart = clock.now
            cached = await startedLookup.result()
            lookup += clock.now - cacheStart
            if cached == .unavailable { cacheUnavailable = true }
        }
        if case .hit(let entry) = cached, await verify(entry.hash) {
            hashes.upgradeIfWeak(username, password: password, hash: entry.hash)
            remember(username, password, entry.version)
            await throttle.recordSuccess(subject, after: check)
            return (outcome(.authenticated(.redis)), .malformed)
        }

        // 3b. A concurrent login of this user filled the cache after we
        // looked: look again rather than ask PostgreSQL once more.
        if cached == .miss, let cache = stages.cache, !cacheUnavailable, stages.source.landed(username, since: start),
           case .hit(let filled) = await cache.lookup(username), await verify(filled.hash) {
            hashes.upgradeIfWeak(username, password: password, hash: filled.hash)
            remember(username, password, filled.version)
            await throttle.recordSuccess(subject, after: check)
            return (outcome(.authenticated(.redis)), .malformed)
        }

        // 4. The source of truth.
        let sourceStart = clock.now
        let found: CredentialLookup
        do {
            found = try await stages.source.lookUp(username)
        } catch {
            lookup += clock.now - sourceStart
            logger.error("PostgreSQL lookup failed", metadata: ["reason": "\((error as? DoormanError)?.message ?? "\(type(of: error))")"])
            return (outcome(.unavailable), .malformed)
        }
        defer { found.land() }
        lookup += clock.now - sourceStart
        if found.queried { statistics.recordPostgresLookup() }

        let somethingCached = cached != .miss && cached != .unavailable
        guard let record = found.record, stages.verifier.canVerify(record.hash) else {
            _ = await verify(hashes.dummyHash)  // an unknown user costs a known user's time
            if somethingCached { await evict(username) }  // the user is gone
            await throttle.recordFailure(subject, after: check)
            return (outcome(.rejected), found.record == nil ? .unknownUser : .wrongPassword)
        }
        if case .hit(let entry) = cached, entry.hash == record.hash {
            // The same hash was already checked against the cached copy: wrong password.
            await throttle.recordFailure(subject, after: check)
            return (outcome(.rejected), .wrongPassword)
        }
        if somethingCached {
            await evict(username)  // stale, expired, forged, or of an older password
        }
        guard await verify(record.hash) else {
            await throttle.recordFailure(subject, after: check)
            return (outcome(.rejected), .wrongPassword)
        }
        if let cache = stages.cache, !cacheUnavailable, !(await cache.fill(record, for: username)) {
            cacheUnavailable = true
        }
        hashes.upgradeIfWeak(username, password: password, hash: record.hash)
        remember(username, password, record.version)
        await throttle.recordSuccess(subject, after: check)
        return (outcome(.authenticated(.postgres)), .malformed)
    }

    private func remember(_ username: String, _ password: String, _ version: Int64) {
        guard let memoryCache, freshness.accepts(version, for: username) else { return }
        memoryCache.remember(username: username, password: password, version: version)
    }

    private func evict(_ username: String) async {
        _ = try? await stages.cache?.evict(username)
    }

    /// Drops `username`'s cached hash so the next login reads PostgreSQL.
    /// Returns `true` if there was one.
    @discardableResult
    public func flushCache(for username: String) async throws -> Bool {
        memoryCache?.forget(username)
        guard let cache = stages.cache else { return false }
        let removed = try await cache.evict(username)
        statistics.recordFlush(user: username)
        return removed
    }

    /// Drops every cached hash; returns how many there were.
    @discardableResult
    public func flushCache() async throws -> Int {
        memoryCache?.forget(nil)
        guard let cache = stages.cache else { return 0 }
        let removed = try await cache.evictAll()
        statistics.recordFlush(user: nil)
        return removed
    }

    /// Clears the failure counters that lock `username` out: the account's,
    /// and every client's for that account (not the per-client counters,
    /// which concern other accounts too). Returns how many were removed.
    @discardableResult
    public func unlock(_ username: String) async throws -> Int {
        try await stages.throttle.unlock(username)
    }
}
