import DoormanAuth
import DoormanCore
@testable import DoormanRedis
import DoormanStack
import Foundation
import Testing

/// The non-blocking Redis client against the real server: pipelining,
/// transports, the atomic counter, `entries`, and deadlines.
@Suite("Redis client")
struct RedisClientTests {
    static func gateway(
        _ url: String = TestServers.shared.redisURL, poolSize: Int = 2, commandTimeout: Duration = .seconds(2),
        connectTimeout: Duration = .seconds(1)
    ) throws -> RedisGateway {
        try RedisGateway(configuration: RedisConfiguration(
            endpoint: try RedisEndpoint(url: url), connectTimeout: connectTimeout, commandTimeout: commandTimeout, poolSize: poolSize,
            namespace: "doorman-client-test-\(UUID().uuidString.prefix(8))", retryBackoff: .milliseconds(50), maxRetryBackoff: .milliseconds(200)),
            logger: TestServers.quietLogger)
    }

    @Test("200 concurrent GETs on 2 connections are all answered with their own values")
    func pipelining() async throws {
        let redis = try Self.gateway(commandTimeout: .seconds(5))
        let prefix = redis.configuration.namespace + ":pipe:"
        for index in 0..<200 {
            try await redis.set(Array((prefix + "\(index)").utf8), Array("value \(index)".utf8), ttl: .seconds(60))
        }
        let wrong = await withTaskGroup(of: Int?.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let reply = try? await redis.run(["GET", prefix + "\(index)"])
                    return reply == .string(Array("value \(index)".utf8)) ? nil : index
                }
            }
            return await group.reduce(into: [Int]()) { if let index = $1 { $0.append(index) } }
        }
        #expect(wrong.isEmpty, "wrong or missing replies for \(wrong.sorted())")
        #expect(redis.openConnections == 2)
        _ = try await redis.deleteKeys(matchingPrefix: Array(prefix.utf8))
        await redis.shutdown()
        #expect(redis.openConnections == 0)
    }

    @Test("commands sent back to back on one connection get their replies in order")
    func orderOnOneConnection() async throws {
        let redis = try Self.gateway(poolSize: 1, commandTimeout: .seconds(5))
        let key = redis.configuration.namespace + ":order"
        let replies = try await redis.pipeline((0..<100).map { _ in [Array("INCR".utf8), Array(key.utf8)] })
        #expect(replies == (1...100).map { RedisReply.integer(Int64($0)) })
        try await redis.delete([Array(key.utf8)])
    }

    @Test("a read started early is answered whether or not it is collected, and its slots are freed either way")
    func startedReads() async throws {
        let redis = try Self.gateway()
        let key = Array((redis.configuration.namespace + ":early").utf8)
        try await redis.set(key, Array("v".utf8), ttl: .seconds(30))
        weak var collected: RedisReplySlot?
        weak var dropped: RedisReplySlot?
        do {
            let pending = await redis.start([[Array("GET".utf8), key]], affinity: "u")
            let unused = await redis.start([[Array("GET".utf8), key]], affinity: "u", early: true)
            if case .sent(let slots, _, _, _) = pending.state { collected = slots.first }
            if case .sent(let slots, _, _, _) = unused.state { dropped = slots.first }
            #expect(collected != nil && dropped != nil, "both were sent at once")
            #expect(try await redis.replies(to: pending) == [.string(Array("v".utf8))])
        }
        // The dropped one's reply still lands (and is accounted); nothing holds either slot after.
        #expect(await TestServers.eventually(timeout: .seconds(2)) { collected == nil && dropped == nil })
        await redis.shutdown()
    }

    @Test("unix socket and TCP both work")
    func transports() async throws {
        let unix = try RedisEndpoint(url: TestServers.shared.redisURL)
        guard case .unix = unix.transport else { Issue.record("the shared stack's Redis URL is not a unix socket"); return }
        try await Self.gateway().ping()
        let address = try #require(TestServers.shared.redisTCPAddress)
        let tcp = try Self.gateway("redis://\(address.host):\(address.port)")
        try await tcp.ping()
        #expect(try await tcp.run(["ECHO", "over tcp"]) == .string(Array("over tcp".utf8)))
    }

    @Test("increment is one atomic round trip that always leaves an expiry, even on a counter that had none")
    func incrementKeepsExpiry() async throws {
        let redis = try Self.gateway()
        let key = Array((redis.configuration.namespace + ":throttle:x").utf8)
        #expect(try await redis.increment(key, window: .seconds(10)) == 1)
        let first = try #require(try await redis.timeLeft(key))
        #expect(first > .zero && first <= .seconds(10))
        #expect(try await redis.increment(key, window: .seconds(10)) == 2)
        #expect(try await redis.timeLeft(key) != nil)
        // Left without an expiry by an older Doorman (INCR, then a lost EXPIRE).
        let legacy = Array((redis.configuration.namespace + ":throttle:legacy").utf8)
        try await redis.run([Array("SET".utf8), legacy, Array("5".utf8)])
        #expect(try await redis.timeLeft(legacy) == nil)
        #expect(try await redis.increment(legacy, window: .seconds(30)) == 6)
        let repaired = try #require(try await redis.timeLeft(legacy))
        #expect(repaired > .zero && repaired <= .seconds(30))
        // Concurrent increments all count.
        let counted = Array((redis.configuration.namespace + ":throttle:many").utf8)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { _ = try? await redis.increment(counted, window: .seconds(10)) } }
        }
        #expect(try await redis.run([Array("GET".utf8), counted]) == .string(Array("50".utf8)))
        #expect(try await redis.timeLeft(counted) != nil)
        try await redis.delete([key, legacy, counted])
    }

    @Test("entries lists keys under a prefix with their TTL and value")
    func entries() async throws {
        let redis = try Self.gateway()
        for user in ["ann", "bob", "cy"] { try await redis.cacheValue("entry of \(user)", for: user, ttl: .seconds(100)) }
        try await redis.run([Array("SET".utf8), Array((redis.configuration.authKeyPrefix + "forever").utf8), Array("x".utf8)])
        let entries = try await redis.entries()
        #expect(entries.count == 4)
        let byKey = Dictionary(uniqueKeysWithValues: entries.map { (String(decoding: $0.key, as: UTF8.self), $0) })
        for user in ["ann", "bob", "cy"] {
            let entry = try #require(byKey[redis.configuration.authKeyPrefix + user])
            #expect(entry.value == Array("entry of \(user)".utf8))
            #expect((entry.timeToLive ?? 0) > 90_000 && (entry.timeToLive ?? 0) <= 100_000)
        }
        #expect(byKey[redis.configuration.authKeyPrefix + "forever"]?.timeToLive == nil)
        #expect(try await redis.entries(limit: 2).count == 2)
        #expect(try await redis.entries(prefix: Array("no-such-prefix-\(UUID()):".utf8)).isEmpty)
        #expect(try await redis.deleteKeys(matchingPrefix: Array(redis.configuration.authKeyPrefix.utf8)) == 4)
    }

    @Test("a command to a black-holed port fails within the deadline, then fast while backing off")
    func blackHole() async throws {
        try await withTaskExecutorPreference(DedicatedExecutor.shared) {
            _ = TestServers.shared  // its start blocks threads of Swift's pool: not while this test measures
            let hole = BlackHole()
            defer { hole.close() }
            let redis = try Self.gateway("redis://127.0.0.1:\(hole.port)", commandTimeout: .milliseconds(250))
            let started = ContinuousClock.now
            await #expect(throws: DoormanError.self) { try await redis.ping() }
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(200) && waited < .milliseconds(250) + .seconds(1), "\(waited)")
            #expect(redis.health.timeouts == 1)
            #expect(redis.health.snapshot().state == .down)
            let fast = ContinuousClock.now
            await #expect(throws: DoormanError.self) { try await redis.ping() }
            #expect(ContinuousClock.now - fast < .milliseconds(100), "the breaker fails fast")
        }
    }

    @Test("a frozen Redis fails commands within the deadline; they work again after thawing")
    func frozen() async throws {
        try await withTaskExecutorPreference(DedicatedExecutor.shared) {
            _ = TestServers.shared  // its start blocks threads of Swift's pool: not while this test measures
            let stack = await TestServers.start(name: "redis-client-frozen")
            defer { TestServers.stop(stack) }
            let redis = try Self.gateway(stack.redisURL, commandTimeout: .milliseconds(250))
            #expect(await TestServers.eventually(timeout: .seconds(10)) { (try? await redis.ping()) != nil })
            let pid = Freezer.freezeRedis(stack)
            let started = ContinuousClock.now
            let failed = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<20 { group.addTask { (try? await redis.run(["GET", "k\(index)"])) == nil } }
                return await group.reduce(into: 0) { if $1 { $0 += 1 } }
            }
            #expect(failed == 20)
            #expect(ContinuousClock.now - started < .milliseconds(250) + .seconds(1))
            #expect(redis.health.timeouts >= 1)
            Freezer.thawRedis(pid)
            #expect(await TestServers.eventually(timeout: .seconds(3)) { (try? await redis.ping()) != nil })
        }
    }

    @Test("as a Service, the gateway runs until cancelled or shut down, then closes its connections")
    func service() async throws {
        let redis = try Self.gateway()
        let running = Task { try await redis.run() }
        try await redis.ping()
        #expect(redis.openConnections == 1)
        running.cancel()
        try await running.value
        #expect(redis.openConnections == 0)
        try await redis.ping()  // a later command opens a new connection
        await redis.shutdown()
        #expect(redis.openConnections == 0)
    }

    @Test("printing a configuration never shows the password")
    func descriptions() async throws {
        let endpoint = try RedisEndpoint(url: "rediss://user:s3cret-pw@cache.example:6380/2")
        let configuration = RedisConfiguration(endpoint: endpoint)
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in ["\(endpoint)", String(reflecting: endpoint), "\(configuration)", String(reflecting: configuration), dumped] {
            #expect(!text.contains("s3cret"), "\(text)")
        }
        #expect("\(endpoint)" == "rediss://user:***@cache.example:6380/2")
    }
}
