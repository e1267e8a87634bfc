import DoormanCore
import Foundation
import Logging
import Synchronization

/// Doorman's cache-aside store: one key per user, `doorman:auth:<username>`,
/// holding that user's bcrypt hash with a time to live.
///
/// Blocking, like every gateway: call it from a thread pool. When Redis fails
/// to connect, the gateway stops trying for a short, growing back-off so that
/// logins going to PostgreSQL meanwhile do not each wait for a timeout; the
/// first call after the back-off tries again, so the cache comes back on its
/// own when Redis does.
public final class RedisGateway: Sendable {
    /// The configuration this gateway connects with.
    public let configuration: RedisConfiguration
    let pool: ConnectionPool<RedisConnection>
    let logger: Logger
    private let breaker = Mutex(Breaker())

    private struct Breaker {
        var openUntil: ContinuousClock.Instant?
        var backoff: Duration?
    }

    /// Creates a gateway; no connection is opened until one is needed.
    ///
    /// For `rediss://` the TLS context (with the CA file or the system's CA
    /// store) is made here, once for every connection: a CA file that is
    /// missing, unreadable or holds no certificate throws `.configuration` now.
    public init(configuration: RedisConfiguration, logger: Logger = Logger(label: "doorman.redis")) throws {
        // hiredis and OpenSSL write with write(2): a server that went away
        // must not kill the process with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let tlsContext = configuration.endpoint.usesTLS ? try TLSClientContext(caCertificateFile: configuration.caCertificateFile) : nil
        self.configuration = configuration
        self.logger = logger
        self.pool = ConnectionPool(capacity: max(1, configuration.poolSize), acquireTimeout: configuration.connectTimeout + configuration.commandTimeout) {
            try RedisConnection(configuration: configuration, tlsContext: tlsContext)
        }
    }

    /// The key that holds `username`'s cached hash.
    public func key(for username: String) -> [UInt8] {
        Array(configuration.authKeyPrefix.utf8) + Array(username.utf8)
    }

    /// The cached value for `username` (Doorman's signed entry), or `nil` on a
    /// miss. Wraps `GET`.
    public func cachedValue(for username: String) throws -> String? {
        try values(for: [key(for: username)]).first.flatMap { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Caches `value` for `username` with the configured time to live (or `ttl`).
    /// Wraps `SET key value EX seconds`.
    public func cacheValue(_ value: String, for username: String, ttl: Duration? = nil) throws {
        try set(key(for: username), Array(value.utf8), ttl: ttl ?? configuration.cacheTTL)
    }

    /// The values of several keys in one round trip (`nil` for missing ones). Wraps `MGET`.
    public func values(for keys: [[UInt8]]) throws -> [[UInt8]?] {
        guard case .array(let replies) = try run([Array("MGET".utf8)] + keys), replies.count == keys.count else {
            throw DoormanError(.database, "Redis: unexpected reply to MGET")
        }
        return replies.map { if case .string(let bytes) = $0 { bytes } else { nil } }
    }

    /// Sets `key` to `value` for `ttl`. Wraps `SET key value PX milliseconds`.
    public func set(_ key: [UInt8], _ value: [UInt8], ttl: Duration) throws {
        let milliseconds = max(1, ttl.components.seconds * 1_000 + ttl.components.attoseconds / 1_000_000_000_000_000)
        try run([Array("SET".utf8), key, value, Array("PX".utf8), Array(String(milliseconds).utf8)])
    }

    /// Adds one to a counter that expires `window` after its first
    /// increment; returns the new count. Wraps `INCR` and `EXPIRE … NX`.
    @discardableResult
    public func increment(_ key: [UInt8], window: Duration) throws -> Int {
        guard case .integer(let count) = try run([Array("INCR".utf8), key]) else {
            throw DoormanError(.database, "Redis: unexpected reply to INCR")
        }
        try run([Array("EXPIRE".utf8), key, Array(String(max(1, window.components.seconds)).utf8), Array("NX".utf8)])
        return Int(count)
    }

    /// Time left before `key` expires; `nil` if it does not exist or never expires. Wraps `PTTL`.
    public func timeLeft(_ key: [UInt8]) throws -> Duration? {
        if case .integer(let milliseconds) = try run([Array("PTTL".utf8), key]), milliseconds >= 0 { return .milliseconds(milliseconds) }
        return nil
    }

    /// Deletes keys; returns how many existed. Wraps `DEL`.
    @discardableResult
    public func delete(_ keys: [[UInt8]]) throws -> Int {
        guard !keys.isEmpty else { return 0 }
        if case .integer(let count) = try run([Array("DEL".utf8)] + keys) { return Int(count) }
        return 0
    }

    /// Drops `username`'s cached hash; `true` if there was one. Wraps `DEL`.
    @discardableResult
    public func evict(_ username: String) throws -> Bool {
        if case .integer(let count) = try run([Array("DEL".utf8), key(for: username)]) { return count > 0 }
        return false
    }

    /// Drops every cached hash Doorman wrote (keys under the prefix), leaving
    /// other data in the database alone. Wraps `SCAN … MATCH` and `UNLINK`.
    /// Returns how many keys were removed.
    @discardableResult
    public func evictAll() throws -> Int {
        try deleteKeys(matchingPrefix: Array(configuration.authKeyPrefix.utf8))
    }

    /// Deletes every key that starts with `prefix`. Wraps `SCAN … MATCH` and `UNLINK`.
    @discardableResult
    public func deleteKeys(matchingPrefix prefix: [UInt8]) throws -> Int {
        let pattern = Array(Self.escapeGlob(String(decoding: prefix, as: UTF8.self)).utf8) + [UInt8(ascii: "*")]
        var cursor = "0"
        var removed = 0
        repeat {
            let reply = try run([Array("SCAN".utf8), Array(cursor.utf8), Array("MATCH".utf8), pattern, Array("COUNT".utf8), Array("500".utf8)])
            guard case .array(let parts) = reply, parts.count == 2, let next = parts[0].text, case .array(let keys) = parts[1] else {
                throw DoormanError(.database, "Redis: unexpected reply to SCAN")
            }
            cursor = next
            let names: [[UInt8]] = keys.compactMap { if case .string(let bytes) = $0 { bytes } else { nil } }
            if !names.isEmpty {
                if case .integer(let count) = try run([Array("UNLINK".utf8)] + names) { removed += Int(count) }
            }
        } while cursor != "0"
        return removed
    }

    /// Seconds until `username`'s cached hash expires; `nil` when none is cached.
    /// Wraps `TTL`.
    public func timeToLive(for username: String) throws -> Int? {
        if case .integer(let seconds) = try run([Array("TTL".utf8), key(for: username)]), seconds >= 0 { return Int(seconds) }
        return nil
    }

    /// Checks that Redis answers. Wraps `PING`.
    public func ping() throws {
        try run([Array("PING".utf8)])
    }

    /// Forgets any back-off and idle connections, e.g. after Redis was restarted by hand.
    public func reset() {
        breaker.withLock { $0 = Breaker() }
        pool.drain()
    }

    /// Runs a raw command (for tools and tests that need more than the
    /// methods above). An error reply throws.
    @discardableResult
    public func run(_ arguments: [[UInt8]]) throws -> RedisReply {
        let now = ContinuousClock.now
        if let until = breaker.withLock({ $0.openUntil }), now < until {
            throw DoormanError(.unavailable, "Redis at \(configuration.endpoint.redactedURL) is unavailable; retrying shortly")
        }
        do {
            let reply = try pool.withConnection { connection, fresh in
                do {
                    return try connection.command(arguments)
                } catch let error as DoormanError where !fresh && error.kind == .unavailable {
                    // A pooled connection the server closed (restart, timeout):
                    // one more try on a new connection.
                    throw StaleConnection()
                }
            }
            closeBreaker()
            if case .error(let message) = reply {
                throw DoormanError(.database, "Redis: \(message)")
            }
            return reply
        } catch is StaleConnection {
            pool.drain()
            return try run(arguments)
        } catch let error as DoormanError where error.isUnavailable {
            openBreaker(error)
            throw error
        }
    }

    private func closeBreaker() {
        breaker.withLock { state in
            if state.backoff != nil { state = Breaker() }
        }
    }

    private func openBreaker(_ error: DoormanError) {
        let wait: Duration = breaker.withLock { state in
            let next = state.backoff.map { min($0 * 2, configuration.maxRetryBackoff) } ?? configuration.retryBackoff
            state.backoff = next
            state.openUntil = .now + next
            return next
        }
        pool.drain()
        logger.warning("Redis unavailable; logins go to PostgreSQL", metadata: ["reason": "\(error.message)", "retry_in": "\(wait.milliseconds)"])
    }

    /// Escapes Redis glob metacharacters so a prefix matches only itself.
    static func escapeGlob(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}

private struct StaleConnection: Error {}
