import DoormanCore
import DoormanPasswords
import DoormanPostgres
import DoormanRedis
import Logging
import NIOPosix

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
/// 1. Look the user's hash up in Redis. On a hit whose hash matches the
///    password, Redis authenticated the user.
/// 2. On a miss, a hit that does not match, or Redis being unavailable, read
///    the hash from PostgreSQL. On a match, cache it in Redis (with a time to
///    live) and report PostgreSQL.
/// 3. Anything else is one uniform failure. An unknown user is checked against
///    a dummy hash, so it costs the same bcrypt time as a known one.
///
/// Redis being down never fails a login (the outcome says "cache
/// unavailable"); PostgreSQL being down on a cache miss is `.unavailable`,
/// never a wrong password.
public final class AuthService: Sendable {
    /// The source of truth.
    public let postgres: PostgresGateway
    /// The cache; `nil` runs without one (every login goes to PostgreSQL).
    public let redis: RedisGateway?
    /// Live counts and recent events, shared with the UI and the HTTP metrics.
    public let statistics: AuthStatistics
    let logger: Logger
    let threadPool: NIOThreadPool

    /// Creates the service over the two gateways.
    ///
    /// `threadPool` runs the blocking work of ``authenticate(username:password:origin:)-(_,_,_)``
    /// (libpq, hiredis, bcrypt); by default NIO's shared blocking pool, sized to the cores.
    public init(
        postgres: PostgresGateway,
        redis: RedisGateway?,
        statistics: AuthStatistics = AuthStatistics(),
        threadPool: NIOThreadPool = .singleton,
        logger: Logger = Logger(label: "doorman.auth")
    ) {
        self.postgres = postgres
        self.redis = redis
        self.statistics = statistics
        self.threadPool = threadPool
        self.logger = logger
    }

    /// Logs in on a thread of the blocking pool; never blocks the caller's thread.
    public func authenticate(username: String, password: String, origin: AuthOrigin) async -> AuthOutcome {
        do {
            return try await threadPool.runIfActive {
                self.authenticateBlocking(username: username, password: password, origin: origin)
            }
        } catch {
            // The pool is shutting down: the process is exiting.
            return AuthOutcome(username: username, result: .unavailable)
        }
    }

    /// Logs in on the calling thread, which may block (network and bcrypt).
    public func authenticateBlocking(username: String, password: String, origin: AuthOrigin) -> AuthOutcome {
        var failure = Failure.malformed
        let outcome = login(username: username, password: password, failure: &failure)
        statistics.record(outcome, origin: origin)
        switch outcome.result {
        case .authenticated(let source):
            logger.debug("login succeeded", metadata: ["user": "\(username)", "source": "\(source.rawValue)", "origin": "\(origin.rawValue)"])
        case .rejected where failure == .wrongPassword:
            logger.notice("login failed: wrong password", metadata: ["user": "\(username)", "origin": "\(origin.rawValue)"])
        case .rejected:
            // No name: what was typed as a username may be a password typed in
            // the wrong field, and it matches no user anyway.
            logger.notice("login failed: \(failure == .unknownUser ? "unknown user" : "malformed credentials")", metadata: ["origin": "\(origin.rawValue)"])
        case .unavailable:
            logger.error("login unavailable: PostgreSQL cannot be reached", metadata: ["origin": "\(origin.rawValue)"])
        }
        return outcome
    }

    /// Why a login was rejected; for the log only, never shown to the client.
    private enum Failure { case malformed, unknownUser, wrongPassword }

    private func login(username: String, password: String, failure: inout Failure) -> AuthOutcome {
        let clock = ContinuousClock()
        var lookup = Duration.zero
        var bcrypt = Duration.zero
        var cacheUnavailable = redis == nil

        func outcome(_ result: AuthOutcome.Result) -> AuthOutcome {
            AuthOutcome(username: username, result: result, cacheUnavailable: cacheUnavailable, lookupDuration: lookup, bcryptDuration: bcrypt)
        }
        func verify(_ hash: String) -> Bool {
            var matched = false
            bcrypt += clock.measure { matched = BCrypt.verify(password, against: hash) }
            return matched
        }

        guard (try? Credentials(username: username, password: password)) != nil else {
            return outcome(.rejected)
        }

        // 1. Redis.
        var cachedHash: String?
        if let redis {
            let start = clock.now
            do {
                cachedHash = try redis.cachedHash(for: username)
            } catch {
                cacheUnavailable = true
            }
            lookup += clock.now - start
            if let cachedHash, verify(cachedHash) {
                return outcome(.authenticated(.redis))
            }
        }

        // 2. PostgreSQL.
        let storedHash: String?
        let start = clock.now
        do {
            storedHash = try postgres.passwordHash(for: username)
        } catch {
            lookup += clock.now - start
            logger.error("PostgreSQL lookup failed", metadata: ["reason": "\((error as? DoormanError)?.message ?? "unknown")"])
            return outcome(.unavailable)
        }
        lookup += clock.now - start

        failure = .wrongPassword
        guard let storedHash, BCrypt.isBcryptHash(storedHash) else {
            if storedHash == nil { failure = .unknownUser }
            _ = verify(BCrypt.dummyHash)  // an unknown user costs a known user's time
            if cachedHash != nil { _ = try? redis?.evict(username) }  // the user is gone
            return outcome(.rejected)
        }
        if let cachedHash, cachedHash == storedHash {
            // Same hash already checked against Redis' copy: the password is wrong.
            return outcome(.rejected)
        }
        if cachedHash != nil {
            _ = try? redis?.evict(username)  // a stale copy of an old hash
        }
        guard verify(storedHash) else {
            return outcome(.rejected)
        }
        if let redis, !cacheUnavailable {
            do {
                try redis.cacheHash(storedHash, for: username)
            } catch {
                cacheUnavailable = true
            }
        }
        return outcome(.authenticated(.postgres))
    }

    /// Drops `username`'s cached hash so the next login reads PostgreSQL.
    /// Returns `true` if there was one.
    @discardableResult
    public func flushCache(for username: String) throws -> Bool {
        guard let redis else { return false }
        let removed = try redis.evict(username)
        statistics.recordFlush(user: username)
        return removed
    }

    /// Drops every cached hash; returns how many there were.
    @discardableResult
    public func flushCache() throws -> Int {
        guard let redis else { return 0 }
        let removed = try redis.evictAll()
        statistics.recordFlush(user: nil)
        return removed
    }
}
