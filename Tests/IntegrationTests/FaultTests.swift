import DoormanAuth
import DoormanCore
import DoormanPostgres
import DoormanRedis
import Foundation
import Testing

/// Servers going away and coming back, on stacks of their own.
@Suite("Faults")
struct FaultTests {
    @Test("with Redis stopped, logins go through PostgreSQL; hits return when Redis does")
    func redisStopped() throws {
        let stack = TestServers.start(name: "redis-down")
        defer { TestServers.stop(stack) }
        let service = try TestServers.service(on: stack)

        #expect(service.authenticateBlocking(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).source == .postgres)
        #expect(service.authenticateBlocking(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).source == .redis)

        try stack.stopRedis()
        for _ in 0..<3 {
            let outcome = service.authenticateBlocking(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli)
            #expect(outcome.source == .postgres)
            #expect(outcome.cacheUnavailable)
            #expect(outcome.summary.hasSuffix("; cache unavailable"))
        }
        #expect(service.authenticateBlocking(username: "john_doe", password: "wrong", origin: .cli).result == .rejected)

        try stack.startRedis()
        // The gateway retries after a short back-off; within a second a login fills the cache again.
        var sources: [AuthSource?] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline && sources.last != .redis {
            sources.append(service.authenticateBlocking(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).source)
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(sources.last == .redis, "cache hits came back: \(sources)")
    }

    @Test("with PostgreSQL stopped, a cache miss is 'unavailable', never a wrong password")
    func postgresStopped() throws {
        let stack = TestServers.start(name: "pg-down")
        defer { TestServers.stop(stack) }
        let service = try TestServers.service(on: stack)

        #expect(service.authenticateBlocking(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).source == .postgres)
        try stack.stopPostgres()

        let miss = service.authenticateBlocking(username: "mary_smith", password: "EXAMPLE_PASSWORD_2", origin: .cli)
        #expect(miss.result == .unavailable)
        #expect(miss.summary.contains("unavailable"))
        // A wrong password for a cached user cannot be told from a changed one without PostgreSQL.
        #expect(service.authenticateBlocking(username: "john_doe", password: "wrong", origin: .cli).result == .unavailable)
        // A cache hit still authenticates (the hash is at most one TTL old).
        #expect(service.authenticateBlocking(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).source == .redis)

        try stack.startPostgres()
        #expect(service.authenticateBlocking(username: "mary_smith", password: "EXAMPLE_PASSWORD_2", origin: .cli).source == .postgres)
    }

    @Test("a pooled connection killed with pg_terminate_backend is replaced; the next login works")
    func terminatedBackend() throws {
        let service = try TestServers.service()
        let user = try TestServers.makeUser(password: "reconnect")
        #expect(service.authenticateBlocking(username: user, password: "reconnect", origin: .cli).source == .postgres)
        _ = try service.flushCache(for: user)

        let admin = try PostgresGateway(configuration: PostgresConfiguration(connectionString: TestServers.shared.databaseURL, poolSize: 1))
        let killed = try admin.withConnection { connection in
            try connection.query(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'doorman' AND pid <> pg_backend_pid() AND datname = current_database()")
        }
        #expect((Int(killed.rows.first?.first.flatMap { $0 } ?? "0") ?? 0) >= 1)
        #expect(service.authenticateBlocking(username: user, password: "reconnect", origin: .cli).source == .postgres)
    }

    @Test("an unreachable Redis URL only marks the cache unavailable")
    func unreachableRedis() throws {
        let postgres = try PostgresGateway(configuration: PostgresConfiguration(connectionString: TestServers.shared.databaseURL))
        let redis = try RedisGateway(configuration: RedisConfiguration(endpoint: try RedisEndpoint(url: "redis://127.0.0.1:1"), connectTimeout: .milliseconds(200)))
        let service = AuthService(postgres: postgres, redis: redis)
        let outcome = service.authenticateBlocking(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli)
        #expect(outcome.source == .postgres)
        #expect(outcome.cacheUnavailable)
    }

    @Test("an unreachable database is reported as unavailable")
    func unreachablePostgres() throws {
        let postgres = try PostgresGateway(configuration: PostgresConfiguration(connectionString: "postgresql://doorman@127.0.0.1:1/doorman?connect_timeout=2"))
        #expect(throws: DoormanError.self) { try postgres.ping() }
        do {
            try postgres.ping()
        } catch let error as DoormanError {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("cannot connect to PostgreSQL"))
        }
    }
}
