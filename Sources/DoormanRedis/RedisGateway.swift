import DoormanCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// Doorman's cache-aside store: one key per user, `doorman:auth:<username>`,
/// holding that user's signed entry with a time to live; and the throttle
/// counters.
///
/// Non-blocking: a small pool of NIO connections (``RedisConfiguration/poolSize``,
/// on `MultiThreadedEventLoopGroup.singleton`, the group Hummingbird uses) on
/// which the commands of concurrent logins pipeline. Every command has a
/// deadline (``RedisConfiguration/commandTimeout``); past it the command fails
/// with `.unavailable`, its connection is closed and the timeout is recorded in
/// ``health``. After a connection failure or a timeout the gateway fails fast
/// for a back-off (250 ms doubling up to 1 s by default) and then lets one
/// probe through at a time, so that logins going to PostgreSQL meanwhile do not
/// each wait for a deadline, and the cache comes back on its own when Redis does.
///
/// A ServiceLifecycle `Service`: ``run()`` waits for graceful shutdown, then closes.
public final class RedisGateway: Service, Sendable {
    /// The configuration this gateway connects with.
    public let configuration: RedisConfiguration
    /// What this gateway knows of Redis from its own calls (for `/healthz`,
    /// `doorman_store_timeouts_total{store="redis"}` and the terminal UI).
    public let health: StoreHealth
    let logger: Logger
    private let pool: RedisConnectionPool
    private let breaker = Mutex(Breaker())
    /// Through Sentinel (`redis+sentinel://`): finds and follows the master.
    private let sentinel: RedisSentinelMonitor?

    private struct Breaker {
        var openUntil: ContinuousClock.Instant?
        var backoff: Duration?
        var probing = false
    }

    private enum Admission: Sendable { case normal, probe }

    /// Creates a gateway; no connection is opened until one is needed.
    ///
    /// For `rediss://` the TLS context (with the CA file or the system's CA
    /// store) is made here, once for every connection: a CA file that is
    /// missing, unreadable or holds no certificate throws `.configuration` now.
    public init(
        configuration: RedisConfiguration, logger: Logger = Logger(label: "doorman.redis"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        self.configuration = configuration
        self.logger = logger
        self.health = StoreHealth(store: "redis")
        let tls = try configuration.makeTLSContext()
        let open: @Sendable () async throws -> RedisClientConnection
        if case .sentinel(let sentinels, let masterName) = configuration.endpoint.transport {
            let monitor = RedisSentinelMonitor(configuration: configuration, sentinels: sentinels, masterName: masterName, tls: tls,
                                               eventLoopGroup: eventLoopGroup, logger: logger)
            self.sentinel = monitor
            open = { try await Self.openMaster(monitor, configuration: configuration, tls: tls, group: eventLoopGroup) }
        } else {
            self.sentinel = nil
            open = { try await RedisClientConnection.connect(configuration: configuration, tls: tls, group: eventLoopGroup) }
        }
        self.pool = RedisConnectionPool(size: max(1, configuration.poolSize), eventLoopGroup: eventLoopGroup, open: open)
        sentinel?.onSwitch { [weak self] _ in self?.masterSwitched() }
    }

    /// Through Sentinel: the master's address in use now (`nil` until a
    /// sentinel named one, and without Sentinel).
    public var currentMaster: RedisEndpoint.Address? { sentinel?.master }

    /// Through Sentinel: how many times the sentinels were asked for the master (for tests).
    public var sentinelDiscoveries: Int { sentinel?.discoveries ?? 0 }

    /// A connection to the master the sentinels name, checked with `ROLE`.
    /// Waits for a discovery at most the command timeout. A connection that
    /// fails, or a server that says it is a replica, makes the sentinels be
    /// asked again.
    private static func openMaster(
        _ monitor: RedisSentinelMonitor, configuration: RedisConfiguration, tls: NIOSSLContext?, group: any EventLoopGroup
    ) async throws -> RedisClientConnection {
        let address = try await monitor.currentMaster(within: configuration.commandTimeout)
        let endpoint = configuration.endpoint.at(address)
        let connection: RedisClientConnection
        do {
            connection = try await RedisClientConnection.connect(configuration: configuration, endpoint: endpoint, tls: tls, group: group)
        } catch {
            monitor.suspect()
            throw error
        }
        let role: RedisReply
        do {
            role = try await connection.send(RedisCommandEncoder.encode([Array("ROLE".utf8)]),
                                             deadline: .now() + TimeAmount(configuration.connectTimeout))
        } catch {
            connection.close()
            monitor.suspect()
            if error is RedisTimeoutError {
                throw DoormanError(.unavailable, "Redis at \(address) did not answer ROLE within \(configuration.connectTimeout.milliseconds)")
            }
            throw error
        }
        switch role {
        case .array(let parts) where parts.first?.text == "master":
            return connection
        case .error(let message) where message.hasPrefix("NOPERM"):
            return connection  // an ACL without +role: trust the sentinel
        default:
            connection.close()
            monitor.suspect()
            let said = if case .array(let parts) = role, let first = parts.first?.text { first } else { "something else" }
            throw DoormanError(.unavailable, "Redis at \(address) is not the master (ROLE says \(said)); asking the sentinels again")
        }
    }

    /// The sentinels named a new master: drop the old one's connections and
    /// forget any back-off, so that the next command goes to the new one.
    private func masterSwitched() {
        breaker.withLock { $0 = Breaker() }
        pool.closeAll()
    }

    // MARK: Keys and values

    /// The key that holds `username`'s cached hash.
    public func key(for username: String) -> [UInt8] {
        Array(configuration.authKeyPrefix.utf8) + Array(username.utf8)
    }

    /// The cached value for `username` (Doorman's signed entry), or `nil` on a
    /// miss. Wraps `GET`.
    public func cachedValue(for username: String) async throws -> String? {
        try await cachedValue(from: await startCachedValue(for: username))
    }

    /// Sends the `GET` of ``cachedValue(for:)`` now, on the connection that
    /// `username`'s other commands take; ``cachedValue(from:)`` waits for it.
    public func startCachedValue(for username: String) async -> RedisPendingReplies {
        await start([[Array("GET".utf8), key(for: username)]], affinity: username, early: true)
    }

    /// The value a ``startCachedValue(for:)`` read, or `nil` on a miss.
    public func cachedValue(from pending: RedisPendingReplies) async throws -> String? {
        switch try await replies(to: pending)[0] {
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        case .error(let message): throw DoormanError(.database, "Redis: \(message)")
        default: nil
        }
    }

    /// Caches `value` for `username` with the configured time to live (or `ttl`).
    /// Wraps `SET key value PX milliseconds`.
    public func cacheValue(_ value: String, for username: String, ttl: Duration? = nil) async throws {
        try await set(key(for: username), Array(value.utf8), ttl: ttl ?? configuration.cacheTTL)
    }

    /// The values of several keys in one round trip (`nil` for missing ones).
    /// Wraps `MGET`. `affinity`: as in ``start(_:deadline:affinity:)``.
    public func values(for keys: [[UInt8]], affinity: String? = nil) async throws -> [[UInt8]?] {
        guard case .array(let replies) = try await run([Array("MGET".utf8)] + keys, affinity: affinity), replies.count == keys.count else {
            throw DoormanError(.database, "Redis: unexpected reply to MGET")
        }
        return replies.map { if case .string(let bytes) = $0 { bytes } else { nil } }
    }

    /// Sets `key` to `value` for `ttl`. Wraps `SET key value PX milliseconds`.
    public func set(_ key: [UInt8], _ value: [UInt8], ttl: Duration) async throws {
        try await run([Array("SET".utf8), key, value, Array("PX".utf8), Self.milliseconds(ttl)])
    }

    /// Adds one to a counter that expires `window` after its first
    /// increment; returns the new count. One atomic round trip that works on
    /// Redis 6.2 and 7 (`EXPIRE … NX` needs 7, and `EVAL` is not in Doorman's
    /// ACL): `MULTI`, `SET key 0 PX window NX`, `INCR key`, `PTTL key`, `EXEC`.
    /// A counter so made always has an expiry; one found without (written by an
    /// older Doorman) gets `PEXPIRE` at once.
    @discardableResult
    public func increment(_ key: [UInt8], window: Duration) async throws -> Int {
        let window = Self.milliseconds(window)
        let replies = try await pipeline([
            [Array("MULTI".utf8)],
            [Array("SET".utf8), key, Array("0".utf8), Array("PX".utf8), window, Array("NX".utf8)],
            [Array("INCR".utf8), key],
            [Array("PTTL".utf8), key],
            [Array("EXEC".utf8)],
        ])
        if let error = replies.lazy.compactMap({ if case .error(let message) = $0 { message } else { nil } }).first {
            throw DoormanError(.database, "Redis: \(error)")
        }
        guard case .array(let results) = replies[4], results.count == 3, case .integer(let count) = results[1] else {
            throw DoormanError(.database, "Redis: unexpected reply to EXEC")
        }
        if case .integer(let left) = results[2], left == -1 {
            try await run([Array("PEXPIRE".utf8), key, window])
        }
        return Int(count)
    }

    /// Time left before `key` expires; `nil` if it does not exist or never expires. Wraps `PTTL`.
    public func timeLeft(_ key: [UInt8]) async throws -> Duration? {
        if case .integer(let milliseconds) = try await run([Array("PTTL".utf8), key]), milliseconds >= 0 { return .milliseconds(milliseconds) }
        return nil
    }

    /// Deletes keys; returns how many existed. Wraps `DEL`.
    @discardableResult
    public func delete(_ keys: [[UInt8]]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        if case .integer(let count) = try await run([Array("DEL".utf8)] + keys) { return Int(count) }
        return 0
    }

    /// Drops `username`'s cached hash; `true` if there was one. Wraps `DEL`.
    @discardableResult
    public func evict(_ username: String) async throws -> Bool {
        if case .integer(let count) = try await run([Array("DEL".utf8), key(for: username)]) { return count > 0 }
        return false
    }

    /// Drops every cached hash Doorman wrote (keys under the prefix), leaving
    /// other data in the database alone. Wraps `SCAN … MATCH` and `UNLINK`.
    /// Returns how many keys were removed.
    @discardableResult
    public func evictAll() async throws -> Int {
        try await deleteKeys(matchingPrefix: Array(configuration.authKeyPrefix.utf8))
    }

    /// Deletes every key that starts with `prefix`. Wraps `SCAN … MATCH` and `UNLINK`.
    @discardableResult
    public func deleteKeys(matchingPrefix prefix: [UInt8]) async throws -> Int {
        var removed = 0
        try await scan(prefix: prefix) { names in
            if case .integer(let count) = try await self.run([Array("UNLINK".utf8)] + names) { removed += Int(count) }
            return true
        }
        return removed
    }

    /// One key under a prefix, as ``entries(prefix:limit:)`` lists them.
    public struct Entry: Sendable, Equatable {
        /// The key's name.
        public var key: [UInt8]
        /// Time left before it expires, in milliseconds; `nil` when it never expires.
        public var timeToLive: Int64?
        /// Its value (`nil` if it is not a string, or went away meanwhile).
        public var value: [UInt8]?
    }

    /// Up to `limit` keys that start with `prefix` (all of Doorman's cached
    /// entries by default), with their time to live and value: `SCAN … MATCH`,
    /// then one pipelined round of `PTTL` and `GET` per batch.
    public func entries(prefix: [UInt8]? = nil, limit: Int = 1_000) async throws -> [Entry] {
        var entries: [Entry] = []
        guard limit > 0 else { return entries }
        try await scan(prefix: prefix ?? Array(configuration.authKeyPrefix.utf8)) { names in
            let batch = Array(names.prefix(limit - entries.count))
            let replies = try await self.pipeline(batch.flatMap { [[Array("PTTL".utf8), $0], [Array("GET".utf8), $0]] })
            for (index, name) in batch.enumerated() {
                var ttl: Int64?
                if case .integer(let milliseconds) = replies[2 * index], milliseconds >= 0 { ttl = milliseconds }
                if case .integer(-2) = replies[2 * index] { continue }  // gone since SCAN saw it
                let value: [UInt8]? = if case .string(let bytes) = replies[2 * index + 1] { bytes } else { nil }
                entries.append(Entry(key: name, timeToLive: ttl, value: value))
            }
            return entries.count < limit
        }
        return entries
    }

    /// Calls `body` with each batch of keys that `SCAN … MATCH prefix*` finds
    /// until the scan ends or `body` returns `false`.
    func scan(prefix: [UInt8], _ body: ([[UInt8]]) async throws -> Bool) async throws {
        let pattern = Array(Self.escapeGlob(String(decoding: prefix, as: UTF8.self)).utf8) + [UInt8(ascii: "*")]
        var cursor = "0"
        repeat {
            let reply = try await run([Array("SCAN".utf8), Array(cursor.utf8), Array("MATCH".utf8), pattern, Array("COUNT".utf8), Array("500".utf8)])
            guard case .array(let parts) = reply, parts.count == 2, let next = parts[0].text, case .array(let keys) = parts[1] else {
                throw DoormanError(.database, "Redis: unexpected reply to SCAN")
            }
            cursor = next
            let names: [[UInt8]] = keys.compactMap { if case .string(let bytes) = $0 { bytes } else { nil } }
            if !names.isEmpty, try await !body(names) { return }
        } while cursor != "0"
    }

    /// Seconds until `username`'s cached hash expires; `nil` when none is cached.
    /// Wraps `TTL`.
    public func timeToLive(for username: String) async throws -> Int? {
        if case .integer(let seconds) = try await run([Array("TTL".utf8), key(for: username)]), seconds >= 0 { return Int(seconds) }
        return nil
    }

    /// Checks that Redis answers. Wraps `PING`.
    public func ping() async throws {
        try await run([Array("PING".utf8)])
    }

    /// Checks that Redis answers before `deadline` (or the command timeout,
    /// whichever comes first). Wraps `PING`. For `/healthz`.
    public func ping(deadline: ContinuousClock.Instant) async throws {
        try await run([Array("PING".utf8)], deadline: deadline)
    }

    // MARK: Lifecycle

    /// Forgets any back-off and closes the connections (new ones are opened
    /// on demand), e.g. after Redis was restarted by hand.
    public func reset() {
        breaker.withLock { $0 = Breaker() }
        pool.closeAll()
    }

    /// Runs until graceful shutdown (or cancellation), then closes the
    /// connections. Through Sentinel, it follows `+switch-master` meanwhile
    /// (on a connection of its own to one sentinel).
    public func run() async throws {
        if let sentinel {
            sentinel.suspect()  // find the master before the first login needs it
            await withDiscardingTaskGroup { group in
                group.addTask { await sentinel.follow() }
                try? await gracefulShutdown()
                group.cancelAll()
            }
        } else {
            try? await gracefulShutdown()
        }
        await shutdown()
    }

    /// Closes every connection and waits for the channels to close. Later
    /// commands open new connections.
    public func shutdown() async {
        await pool.shutdown()
    }

    // MARK: Commands

    /// Runs a raw command (for tools and tests that need more than the
    /// methods above). An error reply throws `.database`.
    @discardableResult
    public func run(_ arguments: [[UInt8]], deadline: ContinuousClock.Instant? = nil, affinity: String? = nil) async throws -> RedisReply {
        let reply = try await pipeline([arguments], deadline: deadline, affinity: affinity)[0]
        if case .error(let message) = reply {
            throw DoormanError(.database, "Redis: \(message)")
        }
        return reply
    }

    /// ``run(_:deadline:)`` with text arguments.
    @discardableResult
    public func run(_ arguments: [String], deadline: ContinuousClock.Instant? = nil) async throws -> RedisReply {
        try await run(arguments.map { Array($0.utf8) }, deadline: deadline)
    }

    /// Sends several commands back to back on one connection and returns
    /// their replies in order (error replies included, not thrown). One
    /// deadline for all of them.
    public func pipeline(_ commands: [[[UInt8]]], deadline: ContinuousClock.Instant? = nil, affinity: String? = nil) async throws -> [RedisReply] {
        try await replies(to: await start(commands, deadline: deadline, affinity: affinity))
    }

    /// Sends commands now and returns without waiting for their replies, which
    /// ``replies(to:)`` collects. Whatever the caller sends next on the same
    /// `affinity` (e.g. a username) goes on the same connection, so that two
    /// reads of one login share a round trip. Never throws: a command that
    /// could not be sent fails in ``replies(to:)``. The gateway's own
    /// accounting (health, breaker, Sentinel) is done as the replies land,
    /// so replies nobody collects cost nothing but their round trip.
    ///
    /// `early`: the caller may never collect the replies (a read ahead).
    /// While Redis is recovering such commands are not sent at all but when
    /// collected, so that the one probe that tests Redis again goes to a
    /// command whose caller needs it.
    public func start(_ commands: [[[UInt8]]], deadline: ContinuousClock.Instant? = nil, affinity: String? = nil,
                      early: Bool = false) async -> RedisPendingReplies {
        if commands.isEmpty {  // nothing to send, nothing to account for
            return RedisPendingReplies(state: .sent([], started: .now, limit: .now, recordFailure: { _ in }))
        }
        if early, breaker.withLock({ $0.backoff != nil }) {
            return RedisPendingReplies(state: .deferred(commands, deadline: deadline, affinity: affinity))
        }
        let encoded: [[UInt8]]
        let admission: Admission
        do {
            encoded = try commands.map { try RedisCommandEncoder.encode($0) }
            admission = try admit()
        } catch {
            return RedisPendingReplies(state: .failed(error))
        }
        var started = ContinuousClock.now
        var limit = started + configuration.commandTimeout
        do {
            // Opening a connection has its own bound (connectTimeout); the
            // command's deadline starts when it is written.
            let connection = try await pool.lease(affinity: affinity)
            started = ContinuousClock.now
            limit = started + configuration.commandTimeout
            if let deadline, deadline < limit { limit = deadline }
            let nioDeadline = NIODeadline.now() + TimeAmount(limit - started)
            let batch = SentBatch()
            let sentAt = started, sentLimit = limit
            let recordFailure: @Sendable (any Error) -> Void = { [self] error in
                if batch.claimAccounting() != nil { _ = record(error, admission: admission, started: sentAt, limit: sentLimit) }
            }
            let slots = connection.send(encoded, deadline: nioDeadline) { [self] result in
                switch result {
                case .success:
                    guard let slots = batch.claimAccounting() else { return }
                    settle(slots: slots, connection: connection, admission: admission, started: sentAt)
                case .failure(let error):
                    // Not from inside the channel handler that is failing the connection;
                    // a caller collecting the replies records it first (see replies(to:)).
                    connection.channel.eventLoop.execute { recordFailure(error) }
                }
            }
            batch.hold(slots)
            return RedisPendingReplies(state: .sent(slots, started: started, limit: limit, recordFailure: recordFailure))
        } catch {
            return RedisPendingReplies(state: .failed(record(error, admission: admission, started: started, limit: limit)))
        }
    }

    /// The replies to commands sent by ``start(_:deadline:affinity:)``, in
    /// order (error replies included, not thrown). Ask once.
    public func replies(to pending: RedisPendingReplies) async throws -> [RedisReply] {
        switch pending.state {
        case .deferred(let commands, let deadline, let affinity):
            return try await replies(to: start(commands, deadline: deadline, affinity: affinity))
        case .failed(let error):
            throw error
        case .sent(let slots, let started, let limit, let recordFailure):
            var replies: [RedisReply] = []
            replies.reserveCapacity(slots.count)
            do {
                for slot in slots { replies.append(try await slot.value()) }
            } catch {
                recordFailure(error)  // before the caller hears of it: the breaker is open by then
                throw describe(error, started: started, limit: limit)
            }
            return replies
        }
    }

    /// The accounting of commands whose last reply has landed (on the event loop).
    private func settle(slots: [RedisReplySlot], connection: RedisClientConnection, admission: Admission, started: ContinuousClock.Instant) {
        health.recordSuccess(roundTrip: ContinuousClock.now - started)
        if let sentinel, slots.contains(where: { if case .error(let message)? = $0.reply { message.hasPrefix("READONLY") } else { false } }) {
            // This node became a replica: the next command goes to whichever the sentinels name.
            connection.close()
            sentinel.suspect()
        }
        if admission == .probe || breaker.withLock({ $0.backoff != nil }) { closeBreaker() }
    }

    /// Why commands failed, in Doorman's words (no secret is in any of them).
    private func describe(_ error: any Error, started: ContinuousClock.Instant, limit: ContinuousClock.Instant) -> DoormanError {
        if error is RedisTimeoutError {
            return DoormanError(.unavailable, "Redis at \(configuration.endpoint.redactedURL) did not answer within \((limit - started).milliseconds)")
        }
        if let error = error as? DoormanError, error.kind == .timeout {
            return DoormanError(.unavailable, error.message)
        }
        return (RedisChannelHandler.describe(error) as? DoormanError) ?? DoormanError(.unavailable, "Redis: \(error)")
    }

    /// Records a failure (health, breaker, Sentinel) and returns it described.
    private func record(_ error: any Error, admission: Admission, started: ContinuousClock.Instant, limit: ContinuousClock.Instant) -> DoormanError {
        let failure = describe(error, started: started, limit: limit)
        if error is RedisTimeoutError || (error as? DoormanError)?.kind == .timeout {
            health.recordTimeout()
        } else {
            health.recordFailure(failure.message)
        }
        if failure.isUnavailable {
            sentinel?.suspect()
            openBreaker(failure, admission: admission)
        } else if admission == .probe {
            closeBreaker()
        }
        return failure
    }

    // MARK: Breaker

    private func admit() throws -> Admission {
        let now = ContinuousClock.now
        let admission: Admission? = breaker.withLock { state in
            guard state.backoff != nil else { return .normal }
            if let until = state.openUntil, now < until { return nil }
            if state.probing { return nil }
            state.probing = true
            return .probe
        }
        guard let admission else {
            throw DoormanError(.unavailable, "Redis at \(configuration.endpoint.redactedURL) is unavailable; retrying shortly")
        }
        return admission
    }

    private func closeBreaker() {
        let wasOpen = breaker.withLock { state in
            defer { state = Breaker() }
            return state.backoff != nil
        }
        if wasOpen { logger.info("Redis answers again; logins use the cache") }
    }

    private func openBreaker(_ error: DoormanError, admission: Admission) {
        let now = ContinuousClock.now
        let wait: Duration? = breaker.withLock { state in
            // Many calls fail together when one connection dies: only the
            // first (or a failed probe) moves the back-off on.
            if admission == .normal, state.backoff != nil { return nil }
            let next = state.backoff.map { min($0 * 2, configuration.maxRetryBackoff) } ?? configuration.retryBackoff
            state.backoff = next
            state.openUntil = now + next
            state.probing = false
            return next
        }
        guard let wait else { return }
        health.recordBackoff(until: now + wait)
        pool.closeAll()
        logger.warning("Redis unavailable; logins go to PostgreSQL", metadata: ["reason": "\(error.message)", "retry_in": "\(wait.milliseconds)"])
    }

    /// Connections open and usable now (for tests).
    var openConnections: Int { pool.openConnections }

    // MARK: Helpers

    static func milliseconds(_ duration: Duration) -> [UInt8] {
        let value = max(1, duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000)
        return Array(String(value).utf8)
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

/// Commands sent by ``RedisGateway/start(_:deadline:affinity:)`` whose replies
/// have not been collected yet.
public struct RedisPendingReplies: Sendable {
    enum State: Sendable {
        /// Not sent yet: sent when the replies are asked for.
        case deferred([[[UInt8]]], deadline: ContinuousClock.Instant?, affinity: String?)
        /// Never sent (not encodable, the breaker open, no connection): the error, described.
        case failed(any Error)
        case sent([RedisReplySlot], started: ContinuousClock.Instant, limit: ContinuousClock.Instant,
                  recordFailure: @Sendable (any Error) -> Void)
    }

    let state: State
}

/// One ``RedisGateway/start(_:deadline:affinity:)``'s commands: their slots,
/// for the accounting (which runs on the event loop) to read, until that
/// accounting is done (once: as the replies land, or by the caller that
/// collects a failure first). The last slot's observer holds this box, and the
/// box the slots: letting go of them at the accounting breaks that cycle.
private final class SentBatch: Sendable {
    private let state = Mutex<(slots: [RedisReplySlot], accounted: Bool)>(([], false))

    func hold(_ slots: [RedisReplySlot]) {
        state.withLock { state in
            if !state.accounted { state.slots = slots }
        }
    }

    /// The slots, for the first caller only (`nil` after); the box lets go of them.
    func claimAccounting() -> [RedisReplySlot]? {
        state.withLock { state in
            guard !state.accounted else { return nil }
            state.accounted = true
            defer { state.slots = [] }
            return state.slots
        }
    }
}
