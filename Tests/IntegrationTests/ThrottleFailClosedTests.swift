import DoormanAuth
import DoormanCore
import DoormanHTTP
import DoormanPasswords
import DoormanRedis
import DoormanStack
import Foundation
import Testing

/// Throttling never fails open, whatever Redis does; and what it stores names nobody.
@Suite("Throttling fails closed")
struct ThrottleFailClosedTests {
    static let policy = ThrottlePolicy(pairLimit: 5)
    static let attacker = ClientIdentity.address("203.0.113.99")

    /// Five wrong guesses, then the right password: refused unchecked.
    static func guessThenRight(_ service: TestService, _ user: String) async -> AuthOutcome.Result {
        for index in 0..<5 {
            _ = await service.authenticate(username: user, password: "guess \(index)", origin: .http, client: attacker)
        }
        return await service.authenticate(username: user, password: "right", origin: .http, client: attacker).result
    }

    static func isThrottled(_ result: AuthOutcome.Result) -> Bool {
        if case .throttled = result { return true }
        return false
    }

    /// A Redis of this test's own stack, told `commands` (as an operator or a failover would).
    static func configure(_ stack: EmbeddedStack, _ commands: [[String]]) async throws {
        let admin = try RedisGateway(configuration: RedisConfiguration(endpoint: try RedisEndpoint(url: stack.redisURL), commandTimeout: .seconds(2)))
        for command in commands { _ = try await admin.run(command) }
        await admin.shutdown()
    }

    @Test("a READONLY Redis (a replica), and a full one (maxmemory 1, noeviction): the limits still hold", arguments: ["readonly", "full"])
    func refusedWrites(_ mode: String) async throws {
        let stack = await TestServers.start(name: "throttle-\(mode)")
        defer { TestServers.stop(stack) }
        let user = try await TestServers.makeUser(password: "right", on: stack)
        let service = try TestServers.service(on: stack, throttle: Self.policy)
        try await service.auth.prepare()
        try await Self.configure(stack, mode == "readonly"
            ? [["REPLICAOF", "127.0.0.1", "1"]]  // a replica of nothing: reads answer, writes get READONLY
            : [["CONFIG", "SET", "maxmemory-policy", "noeviction"], ["CONFIG", "SET", "maxmemory", "1"]])
        let result = await Self.guessThenRight(service, user)
        #expect(Self.isThrottled(result), "before: 30 × 401 and then 200; now: \(result)")
        try await Self.configure(stack, mode == "readonly" ? [["REPLICAOF", "NO", "ONE"]] : [["CONFIG", "SET", "maxmemory", "0"]])
    }

    @Test("failures counted while Redis was paused are merged into Redis when it returns: another process sees them")
    func mergedAfterPause() async throws {
        let stack = await TestServers.start(name: "throttle-paused")
        defer { TestServers.stop(stack) }
        let user = try await TestServers.makeUser(password: "right", on: stack)
        let namespace = "doorman-merge-\(UUID().uuidString.prefix(6))"
        let first = try TestServers.service(on: stack, redisTimeout: .milliseconds(250), throttle: Self.policy, namespace: namespace,
                                            redisBackoff: (.milliseconds(50), .milliseconds(100)))
        try await first.auth.prepare()
        let pid = Freezer.freezeRedis(stack)
        for index in 0..<5 {
            _ = await first.authenticate(username: user, password: "guess \(index)", origin: .http, client: Self.attacker)
        }
        #expect(Self.isThrottled(await first.authenticate(username: user, password: "right", origin: .http, client: Self.attacker).result),
                "this process keeps its own count while Redis is paused")
        Freezer.thawRedis(pid)
        // The next check that reaches Redis merges this process' counts into it.
        try await Task.sleep(for: .milliseconds(300))
        #expect(await TestServers.eventually(timeout: .seconds(5)) {
            Self.isThrottled(await first.authenticate(username: user, password: "right", origin: .http, client: Self.attacker).result)
        })
        let second = try TestServers.service(on: stack, throttle: Self.policy, namespace: namespace)
        try await second.auth.prepare()
        let seen = await second.authenticate(username: user, password: "right", origin: .http, client: Self.attacker)
        #expect(Self.isThrottled(seen.result), "another process sees the merged count: \(seen.result)")
    }

    @Test("counter names hold neither the typed username nor the client, and every counter has an expiry")
    func namesAndExpiries() async throws {
        let namespace = "doorman-names-\(UUID().uuidString.prefix(6))"
        let service = try TestServers.service(throttle: Self.policy, namespace: namespace)
        try await service.auth.prepare()
        let typed = "EXAMPLE_PASSWORD_typed_as_a_name_\(UUID().uuidString.prefix(4))"
        for _ in 0..<3 { _ = await service.authenticate(username: typed, password: "x", origin: .http, client: Self.attacker) }
        let redis = try #require(service.redis)
        let entries = try await redis.entries(prefix: Array("\(namespace):".utf8), limit: 100)
        #expect(entries.count >= 3, "pair, client and account counters")
        for entry in entries {
            let name = String(decoding: entry.key, as: UTF8.self)
            #expect(!name.contains(typed) && !name.contains("EXAMPLE_PASSWORD") && !name.contains("203.0.113"), "\(name)")
            #expect((entry.timeToLive ?? -1) > 0, "\(name) has no expiry")
        }
        // Unlocking still finds the account's counters by name.
        #expect(try await service.unlock(typed) >= 1)
    }
}

/// What is kept of a login beyond the request names a user only when that user exists.
@Suite("Names kept of logins")
struct KeptNamesTests {
    @Test("the statistics (the UI's panel, the metrics) hide names that match no user, and keep those that do")
    func hidden() async throws {
        let service = try TestServers.service()
        let typed = "EXAMPLE_PASSWORD_as_a_name_\(UUID().uuidString.prefix(4))"
        _ = await service.authenticate(username: typed, password: "x", origin: .cli)
        _ = await service.authenticate(username: "john_doe", password: "wrong", origin: .cli)
        let recent = service.auth.statistics.snapshot().recent.map(\.outcome.username)
        #expect(!recent.contains(typed))
        #expect(recent.suffix(2) == [AuthOutcome.hiddenUsername, "john_doe"])
    }
}

/// The in-memory tier's fast path skips Redis only for the right password of
/// a subject found clear a moment ago; guesses always meet the counters.
@Suite("Memory tier and throttling")
struct MemoryTierThrottleTests {
    @Test("after guesses, the right password is refused even though the memory tier holds it")
    func guessesNeverTakeTheFastPath() async throws {
        let service = try TestServers.service(throttle: ThrottlePolicy(pairLimit: 5), memoryCache: MemoryCredentialCache.Configuration())
        let user = try await TestServers.makeUser(password: "right")
        let client = ClientIdentity.address("198.51.100.77")
        var sources: [AuthSource?] = []
        for _ in 0..<3 { sources.append(await service.authenticate(username: user, password: "right", origin: .http, client: client).source) }
        #expect(sources == [.postgres, .memory, .memory], "\(sources)")
        for index in 0..<5 { _ = await service.authenticate(username: user, password: "guess \(index)", origin: .http, client: client) }
        let after = await service.authenticate(username: user, password: "right", origin: .http, client: client)
        #expect(ThrottleFailClosedTests.isThrottled(after.result), "\(after.result)")
    }
}

/// RFC 8265 on rows that Doorman did not write.
@Suite("Usernames stored by plain SQL")
struct StoredNormalFormTests {
    @Test("a row stored in NFD by plain SQL logs in, typed in NFC or NFD")
    func nfdRow() async throws {
        let service = try TestServers.service()
        let tag = UUID().uuidString.prefix(6).lowercased()
        let nfd = "rene\u{301}_\(tag)", nfc = "ren\u{E9}_\(tag)"
        _ = try await service.postgres.query("INSERT INTO users (username, pwd) VALUES ($1, $2)", [nfd, try BCrypt.hash("pw", cost: 4)])
        #expect(await service.authenticate(username: nfc, password: "pw", origin: .cli).isAuthenticated)
        #expect(await service.authenticate(username: nfd, password: "pw", origin: .cli).isAuthenticated)
        #expect(await service.authenticate(username: nfc, password: "wrong", origin: .cli).result == .rejected)
    }
}
