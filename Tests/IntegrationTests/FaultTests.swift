import DoormanAuth
import DoormanCore
import DoormanPostgres
import DoormanRedis
import DoormanHTTP
import Foundation
import Testing

/// Servers going away and coming back, on stacks of their own.
@Suite("Faults")
struct FaultTests {
    @Test("with Redis stopped, logins go through PostgreSQL; hits return when Redis does")
    func redisStopped() async throws {
        let stack = await TestServers.start(name: "redis-down")
        defer { TestServers.stop(stack) }
        let service = try TestServers.service(on: stack)

        #expect(await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).source == .postgres)
        #expect(await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).source == .redis)

        try await stack.stopRedis()
        for _ in 0..<3 {
            let outcome = await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli)
            #expect(outcome.source == .postgres)
            #expect(outcome.cacheUnavailable)
            #expect(outcome.summary.hasSuffix("; cache unavailable"))
        }
        #expect(await service.authenticate(username: "john_doe", password: "wrong", origin: .cli).result == .rejected)

        try await stack.startRedis()
        // The gateway retries after a short back-off; within a second a login fills the cache again.
        var sources: [AuthSource?] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline && sources.last != .redis {
            sources.append(await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).source)
            try? await Task.sleep(for: .milliseconds(100))
        }
        #expect(sources.last == .redis, "cache hits came back: \(sources)")
    }

    @Test("with PostgreSQL stopped, a cache miss is 'unavailable', never a wrong password")
    func postgresStopped() async throws {
        let stack = await TestServers.start(name: "pg-down")
        defer { TestServers.stop(stack) }
        let service = try TestServers.service(on: stack)

        #expect(await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).source == .postgres)
        try await stack.stopPostgres()

        let miss = await service.authenticate(username: "mary_smith", password: "EXAMPLE_PASSWORD_2", origin: .cli)
        #expect(miss.result == .unavailable)
        #expect(miss.summary.contains("unavailable"))
        // A wrong password for a cached user cannot be told from a changed one without PostgreSQL.
        #expect(await service.authenticate(username: "john_doe", password: "wrong", origin: .cli).result == .unavailable)
        // A cache hit still authenticates (the hash is at most one TTL old).
        #expect(await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).source == .redis)

        try await stack.startPostgres()
        #expect(await service.authenticate(username: "mary_smith", password: "EXAMPLE_PASSWORD_2", origin: .cli).source == .postgres)
    }

    @Test("a pooled connection killed with pg_terminate_backend is replaced; the next login works")
    func terminatedBackend() async throws {
        // Its own application_name, so that only its connections are killed.
        let applicationName = "doorman-test-\(UUID().uuidString.prefix(8))"
        let postgres = try PostgresGateway(configuration: PostgresConfiguration.test(
            connectionString: TestServers.shared.databaseURL + "&application_name=\(applicationName)", poolSize: 2))
        let service = AuthService(postgres: postgres, redis: try TestServers.service().redis, logger: TestServers.quietLogger)
        let user = try await TestServers.makeUser(password: "reconnect")
        #expect(await service.authenticate(username: user, password: "reconnect", origin: .cli).source == .postgres)
        _ = try await service.flushCache(for: user)

        let admin = try PostgresGateway(configuration: PostgresConfiguration.test(connectionString: TestServers.shared.databaseURL, poolSize: 1))
        let killed = try await admin.query(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
            [applicationName])
        #expect((Int(killed.rows.first?.first.flatMap { $0 } ?? "0") ?? 0) >= 1)
        #expect(await service.authenticate(username: user, password: "reconnect", origin: .cli).source == .postgres)
    }

    @Test("an unreachable Redis URL only marks the cache unavailable")
    func unreachableRedis() async throws {
        let postgres = try PostgresGateway(configuration: PostgresConfiguration.test(connectionString: TestServers.shared.databaseURL))
        let redis = try RedisGateway(configuration: RedisConfiguration(endpoint: try RedisEndpoint(url: "redis://127.0.0.1:1"), connectTimeout: .milliseconds(200)))
        let service = AuthService(postgres: postgres, redis: redis)
        let outcome = await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli)
        #expect(outcome.source == .postgres)
        #expect(outcome.cacheUnavailable)
    }

    @Test("an unreachable database is reported as unavailable")
    func unreachablePostgres() async throws {
        let postgres = try PostgresGateway(configuration: PostgresConfiguration.test(connectionString: "postgresql://doorman@127.0.0.1:1/doorman?connect_timeout=2"))
        await #expect(throws: DoormanError.self) { try await postgres.ping() }
        do {
            try await postgres.ping()
        } catch let error as DoormanError {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("cannot connect to PostgreSQL"))
        }
    }
}

/// More faults, through the HTTP server where the issue asks for HTTP answers.
@Suite("Faults under load")
struct FaultsUnderLoadTests {
    @Test("1,000 concurrent logins of one uncached user: all answered, one PostgreSQL lookup (from /metrics)")
    func singleFlight() async throws {
        let service = try TestServers.service()
        let user = try await TestServers.makeUser(password: "stampede")
        let server = try await service.httpServer().start()
        let port = server.port
        let header = BasicAuthorization.header(username: user, password: "stampede")
        let results = Results()
        let group = DispatchGroup()
        for _ in 0..<100 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                guard let client = try? RawHTTPClient(port: port, timeout: 60) else {
                    for _ in 0..<10 { results.add(false) }
                    return
                }
                for _ in 0..<10 {
                    let response = try? client.get("/products?limit=1", authorization: header)
                    results.add(response?.status == 200)
                }
            }
        }
        await withCheckedContinuation { continuation in group.notify(queue: .global()) { continuation.resume() } }
        let metrics = try await RawHTTPClient.open(port: port).fetch("/metrics")
        await server.stop()
        let (good, bad) = results.counts
        #expect(good == 1_000 && bad == 0)
        #expect(metrics.text.contains("doorman_postgres_lookups_total 1\n"), "\(metrics.text.split(separator: "\n").filter { $0.contains("lookups") })")
        #expect(service.statistics.snapshot().postgresLookups == 1)
    }

    @Test("Redis killed during a stream of logins: every login succeeds; hits return after Redis does")
    func redisKilledMidStream() async throws {
        let stack = await TestServers.start(name: "redis-killed")
        defer { TestServers.stop(stack) }
        let service = try TestServers.service(on: stack)
        var outcomes: [AuthOutcome] = []
        for index in 0..<60 {
            if index == 20 { try stack.killRedis() }
            if index == 40 { try await stack.startRedis() }
            outcomes.append(await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .http))
            try? await Task.sleep(for: .milliseconds(10))
        }
        #expect(outcomes.allSatisfy { $0.isAuthenticated }, "\(outcomes.filter { !$0.isAuthenticated }.map(\.result))")
        #expect(outcomes[1..<20].allSatisfy { $0.source == .redis })
        #expect(outcomes[21..<40].allSatisfy { $0.source == .postgres && $0.cacheUnavailable })
        let cameBack = await TestServers.eventually {
            await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .http).source == .redis
        }
        #expect(cameBack, "cache hits came back without a restart")
    }

    @Test("Redis paused (CLIENT PAUSE): a short timeout, then PostgreSQL; the HTTP server keeps answering")
    func redisPaused() async throws {
        let stack = await TestServers.start(name: "redis-paused")
        defer { TestServers.stop(stack) }
        let service = try TestServers.service(on: stack, redisTimeout: .milliseconds(200))
        #expect(await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).source == .postgres)
        let server = try await service.httpServer().start()
        let admin = try RedisGateway(configuration: RedisConfiguration(endpoint: try RedisEndpoint(url: stack.redisURL)))
        try await admin.run(["CLIENT", "PAUSE", "60000", "ALL"].map { Array($0.utf8) })

        let client = try await RawHTTPClient.open(port: server.port)
        let response = try await client.fetch("/", authorization: BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD"))
        #expect(response.status == 200)
        #expect(response.header("X-Authenticated-By") == "postgres")
        let health = try await client.fetch("/healthz")
        #expect(health.json?["redis"] as? String == "down")
        let outcome = await service.authenticate(username: "mary_smith", password: "EXAMPLE_PASSWORD_2", origin: .cli)
        #expect(outcome.source == .postgres && outcome.cacheUnavailable)
        await server.stop()
        try stack.killRedis()  // still paused: it would not answer SHUTDOWN
    }

    @Test("both stores down: 503, never 200")
    func bothDown() async throws {
        let stack = await TestServers.start(name: "both-down")
        defer { TestServers.stop(stack) }
        let service = try TestServers.service(on: stack)
        #expect(await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).source == .postgres)
        let server = try await service.httpServer().start()
        try await stack.stopRedis()
        try await stack.stopPostgres()
        let client = try await RawHTTPClient.open(port: server.port)
        for header in [BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD"),
                       BasicAuthorization.header(username: "john_doe", password: "wrong"),
                       BasicAuthorization.header(username: "mary_smith", password: "EXAMPLE_PASSWORD_2")] {
            let response = try await client.fetch("/", authorization: header)
            #expect(response.status == 503)
            #expect(response.header("Retry-After") != nil)
        }
        #expect(try await client.fetch("/healthz").status == 503)
        await server.stop()
    }
}
