import DoormanAuth
import DoormanCore
import DoormanHTTP
import DoormanPostgres
import DoormanRedis
import Foundation
import Testing

/// Issue 9's Redis fault tests: a frozen Redis and a black-holed Redis port.
/// Every login still succeeds through PostgreSQL within the Redis deadline
/// plus PostgreSQL's time, and the cache comes back on its own.
@Suite("Redis faults")
struct RedisFaultTests {
    @Test("Redis frozen: every login succeeds via PostgreSQL within 250 ms + 1 s; /healthz says redis down within 500 ms; hits return within 3 s of SIGCONT")
    func redisFrozen() async throws {
        try await withTaskExecutorPreference(DedicatedExecutor.shared) {
            _ = TestServers.shared  // its start blocks threads of Swift's pool: not while this test measures
            let stack = await TestServers.start(name: "redis-frozen")
            defer { TestServers.stop(stack) }
            // The default back-off (250 ms doubling to 1 s): a login pays at most one Redis deadline.
            let service = try TestServers.service(on: stack, redisTimeout: .milliseconds(250), redisBackoff: (.milliseconds(250), .seconds(1)))
            var users: [String] = []
            for _ in 0..<10 { users.append(try await TestServers.makeUser(password: "frozen pw", on: stack)) }
            #expect(await TestServers.eventually(timeout: .seconds(10)) {
                await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).source == .redis
            }, "a Redis hit before the freeze")
            let server = try await service.httpServer().start()
            let pid = Freezer.freezeRedis(stack)
            var thawed = false
            defer { if !thawed { Freezer.thawRedis(pid) } }

            // Sequential logins of a cached user.
            for _ in 0..<5 {
                let started = ContinuousClock.now
                let outcome = await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .http)
                let took = ContinuousClock.now - started
                #expect(outcome.isAuthenticated && outcome.source == .postgres && outcome.cacheUnavailable, "\(outcome.summary)")
                #expect(took < .milliseconds(250) + .seconds(1), "\(took)")
            }
            // Concurrent logins of uncached users.
            let timings = await withTaskGroup(of: (Bool, Duration).self) { group in
                for user in users {
                    group.addTask {
                        let started = ContinuousClock.now
                        let outcome = await service.authenticate(username: user, password: "frozen pw", origin: .http)
                        return (outcome.isAuthenticated && outcome.source == .postgres, ContinuousClock.now - started)
                    }
                }
                return await group.reduce(into: [(Bool, Duration)]()) { $0.append($1) }
            }
            #expect(timings.allSatisfy { $0.0 }, "every login succeeded via PostgreSQL")
            #expect(timings.allSatisfy { $0.1 < .milliseconds(250) + .seconds(1) }, "\(timings.map(\.1))")

            let client = try await RawHTTPClient.open(port: server.port)
            let asked = ContinuousClock.now
            let health = try await client.fetch("/healthz")
            #expect(ContinuousClock.now - asked < .milliseconds(500))
            #expect(health.json?["redis"] as? String == "down", "\(health.text)")
            let viaHTTP = try await client.fetch("/", authorization: BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD"))
            #expect(viaHTTP.status == 200)
            #expect(viaHTTP.header("X-Authenticated-By") == "postgres")
            let metrics = try await client.fetch("/metrics")
            #expect(metrics.text.contains("doorman_store_timeouts_total{store=\"redis\"}"), "\(metrics.text.split(separator: "\n").filter { $0.contains("timeouts") })")

            Freezer.thawRedis(pid)
            thawed = true
            let back = await TestServers.eventually(timeout: .seconds(3)) {
                await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .http).source == .redis
            }
            #expect(back, "Redis hits came back within 3 s of SIGCONT")
            await server.stop()
        }
    }

    @Test("Redis behind a black hole: every login succeeds via PostgreSQL within 250 ms + 1 s")
    func redisBlackHoled() async throws {
        try await withTaskExecutorPreference(DedicatedExecutor.shared) {
            _ = TestServers.shared  // its start blocks threads of Swift's pool: not while this test measures
            let hole = BlackHole()
            defer { hole.close() }
            let postgres = try PostgresGateway(configuration: PostgresConfiguration(connectionString: TestServers.shared.databaseURL, poolSize: 2),
                                               logger: TestServers.quietLogger)
            let redis = try RedisGateway(configuration: RedisConfiguration(
                endpoint: try RedisEndpoint(url: "redis://127.0.0.1:\(hole.port)"), commandTimeout: .milliseconds(250)), logger: TestServers.quietLogger)
            let service = AuthService(postgres: postgres, redis: redis, logger: TestServers.quietLogger)
            // PostgreSQL's own first connection is not what this test measures.
            #expect(await AuthService(postgres: postgres, redis: nil, logger: TestServers.quietLogger)
                .authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).isAuthenticated)
            for _ in 0..<10 {
                let started = ContinuousClock.now
                let outcome = await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .http)
                let took = ContinuousClock.now - started
                #expect(outcome.isAuthenticated && outcome.source == .postgres && outcome.cacheUnavailable, "\(outcome.summary)")
                #expect(took < .milliseconds(250) + .seconds(1), "\(took)")
                try? await Task.sleep(for: .milliseconds(30))
            }
            #expect(redis.health.timeouts >= 1)
            #expect(hole.connectionCount <= 2 * 10, "connections are not opened once per command")
        }
    }
}
