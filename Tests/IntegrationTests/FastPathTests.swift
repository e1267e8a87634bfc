@testable import DoormanAuth
import DoormanCore
import DoormanHTTP
import DoormanPasswords
@testable import DoormanPostgres
import DoormanRuntime
import Foundation
import Testing

/// The in-memory tier, the kept product list and --no-cache, against the real servers.
@Suite("Fast paths")
struct FastPathTests {
    func memoryService(ttl: Duration = .seconds(60)) throws -> TestService {
        try TestServers.service(memoryCache: .init(ttl: ttl, maxUsers: 100))
    }

    @Test("with --memory-cache: PostgreSQL, then Memory without bcrypt; a wrong password is not remembered")
    func memoryTier() async throws {
        let service = try memoryService()
        let user = try await TestServers.makeUser(password: "fast lane")
        #expect(await service.authenticate(username: user, password: "fast lane", origin: .cli).source == .postgres)
        let second = await service.authenticate(username: user, password: "fast lane", origin: .cli)
        #expect(second.source == .memory)
        #expect(second.bcryptDuration == .zero)
        #expect(second.summary.hasPrefix("Authenticated by Memory ("))
        #expect(await service.authenticate(username: user, password: "fast lanE", origin: .cli).result == .rejected)
        #expect(await service.authenticate(username: user, password: "fast lane", origin: .cli).source == .memory)
        // Flushing the user (the UI's f) forgets the memory too: the next login reads PostgreSQL.
        try await service.flushCache(for: user)
        #expect(await service.authenticate(username: user, password: "fast lane", origin: .cli).source == .postgres)
    }

    @Test("memory entries expire, and then Redis answers")
    func memoryExpiry() async throws {
        let service = try memoryService(ttl: .seconds(1))
        let user = try await TestServers.makeUser(password: "short memory")
        #expect(await service.authenticate(username: user, password: "short memory", origin: .cli).source == .postgres)
        #expect(await service.authenticate(username: user, password: "short memory", origin: .cli).source == .memory)
        let redisAgain = await TestServers.eventually(timeout: .seconds(10)) {
            await service.authenticate(username: user, password: "short memory", origin: .cli).source == .redis
        }
        #expect(redisAgain)
    }

    @Test("a password change drops the memory entry at once, like the Redis one")
    func memoryInvalidation() async throws {
        let service = try memoryService()
        let listening = try await TestServers.listen(service)
        defer { listening.stop() }
        let user = try await TestServers.makeUser(password: "remember me")
        #expect(await service.authenticate(username: user, password: "remember me", origin: .cli).source == .postgres)
        #expect(await service.authenticate(username: user, password: "remember me", origin: .cli).source == .memory)
        // Whether the listener hears the change or catches up on it when it connects, the entry goes.
        try await service.postgres.setPasswordHash(try BCrypt.hash("forget me", cost: 4), for: user)
        #expect(await TestServers.eventually { service.memoryCache?.count == 0 })
        #expect(await service.authenticate(username: user, password: "remember me", origin: .cli).result == .rejected)
    }

    @Test("a throttled client is refused even with remembered credentials")
    func memoryRespectsThrottling() async throws {
        let service = try TestServers.service(throttle: ThrottlePolicy(pairLimit: 3), memoryCache: .init())
        let user = try await TestServers.makeUser(password: "known")
        let attacker = ClientIdentity.address("203.0.113.77")
        #expect(await service.authenticate(username: user, password: "known", origin: .http, client: attacker).source == .postgres)
        for _ in 0..<3 { _ = await service.authenticate(username: user, password: "guess", origin: .http, client: attacker) }
        guard case .throttled = await service.authenticate(username: user, password: "known", origin: .http, client: attacker).result else {
            Issue.record("the memory tier bypassed throttling")
            return
        }
    }

    @Test("over HTTP the memory tier reports \"Memory\"")
    func memoryOverHTTP() async throws {
        let service = try memoryService()
        let server = try await service.httpServer().start()
        let client = try await RawHTTPClient.open(port: server.port)
        let header = BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD")
        _ = try await client.fetch("/", authorization: header)
        let second = try await client.fetch("/", authorization: header)
        await server.stop()
        #expect(second.json?["authenticated_by"] as? String == "Memory")
        #expect(second.header("X-Authenticated-By") == "memory")
    }

    @Test("the product list is read from PostgreSQL once, and again only after it changes")
    func keptProducts() async throws {
        let settings = try Settings.resolve(
            databaseURL: TestServers.shared.databaseURL, redisURL: TestServers.shared.redisURL + "?db=7", postgresTimeout: "60s", environment: [:])
        let runtime = try Runtime(settings: settings, logger: TestServers.quietLogger)
        await runtime.prepareForLogins(listen: true)
        #expect(await TestServers.eventually { runtime.catalog.isListening })
        let service = TestService(auth: runtime.auth, postgres: runtime.postgres, redis: runtime.redis)
        let server = try await service.httpServer(catalog: runtime.catalog).start()
        let client = try await RawHTTPClient.open(port: server.port)
        let header = BasicAuthorization.header(username: "mary_smith", password: "EXAMPLE_PASSWORD_2")
        let before = runtime.catalog.reads
        var first: RawHTTPClient.Response?
        for _ in 0..<5 { first = try await client.fetch("/", authorization: header) }
        #expect(runtime.catalog.reads == before + 1)

        let name = "KEPT LIST TEST \(UUID().uuidString.prefix(6))"
        try await runtime.postgres.query("INSERT INTO products (product_name, retail_price) VALUES ($1, 1.00)", [name])
        var sawIt = false
        let deadline = ContinuousClock.now + .seconds(20)
        while !sawIt && ContinuousClock.now < deadline {
            sawIt = try await client.fetch("/", authorization: header).text.contains(name)
        }
        await server.stop()
        try await runtime.postgres.query("DELETE FROM products WHERE product_name = $1", [name])
        #expect(sawIt, "a product added with plain SQL shows up")
        #expect(first?.text.contains(name) == false)
        await runtime.shutdown()
    }

    @Test("--no-cache: every login reads PostgreSQL")
    func noCache() async throws {
        let flags = ["--database-url", TestServers.shared.databaseURL, "--no-cache"]
        for _ in 0..<2 {
            let result = try await DoormanBinary.run(["login", "john_doe"] + flags, input: "EXAMPLE_PASSWORD\n")
            #expect(result.status == 0)
            #expect(result.standardOutput.hasPrefix("Authenticated by PostgreSQL Server"))
        }
    }
}
