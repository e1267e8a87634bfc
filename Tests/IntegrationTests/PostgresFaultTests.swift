import DoormanAuth
import DoormanCore
import DoormanHTTP
import DoormanPasswords
@testable import DoormanPostgres
import DoormanRuntime
import DoormanStack
import Foundation
import Testing

/// Issue 9's PostgreSQL faults: frozen, behind a black hole, a killed listener.
@Suite("PostgreSQL faults")
struct PostgresFaultTests {
    @Test("PostgreSQL frozen: cached logins succeed from Redis, uncached ones get 503 in time, /healthz answers; no thread per waiting login; back after thawing")
    func frozen() async throws {
        let stack = await TestServers.start(name: "pg-frozen")
        defer { TestServers.stop(stack) }
        let deadline = Duration.seconds(1)
        let postgres = try PostgresGateway(configuration: PostgresConfiguration(connectionString: stack.databaseURL, poolSize: 4, queryTimeout: deadline),
                                           logger: TestServers.quietLogger)
        let service = try TestServers.service(on: stack, postgres: postgres)
        try await service.auth.prepare()
        let server = try await service.httpServer(HTTPServerConfiguration(port: 0, retryAfterSeconds: 7)).start()
        defer { Task { await server.stop() } }
        let john = BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD")
        let client = try await RawHTTPClient.open(port: server.port)
        #expect(try await client.fetch("/", authorization: john).status == 200)  // cached in Redis now
        let uncached = (0..<100).map { "nobody_\($0)_\(UUID().uuidString.prefix(6).lowercased())" }

        let threadsBefore = ProcessProbe.threadCount
        let frozen = Freezer.freezePostgres(stack)
        var thawed = false
        defer { if !thawed { Freezer.thawPostgres(stack, frozen) } }

        // 20 uncached logins wait on PostgreSQL while 30 cached ones go on.
        let port = server.port
        let misses = Task {
            try await withThrowingTaskGroup(of: (Int, String?, Duration).self) { group in
                for name in uncached.prefix(20) {
                    group.addTask {
                        let started = ContinuousClock.now
                        let own = try await RawHTTPClient.open(port: port)
                        let answer = try await own.fetch("/", authorization: BasicAuthorization.header(username: name, password: "x"))
                        return (answer.status, answer.header("Retry-After"), ContinuousClock.now - started)
                    }
                }
                var results: [(Int, String?, Duration)] = []
                for try await result in group { results.append(result) }
                return results
            }
        }
        for _ in 0..<30 {
            #expect(try await client.fetch("/", authorization: john).status == 200)
        }
        let healthStarted = ContinuousClock.now
        let health = try await RawHTTPClient.open(port: port).fetch("/healthz")
        #expect(ContinuousClock.now - healthStarted < .milliseconds(500))
        let results = try await misses.value
        #expect(results.count == 20)
        for (status, retryAfter, took) in results {
            #expect(status == 503)
            #expect(retryAfter == "7")
            #expect(took < deadline + .seconds(1), "within the deadline + 1 s: \(took)")
        }
        #expect(health.json?["postgres"] as? String == "down", "\(health.text)")

        // 100 logins waiting on the frozen server at once: still a few threads, not one each.
        let source = PostgresCredentialSource(postgres: postgres)
        var peak = 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in uncached { group.addTask { _ = try? await source.lookUp(name) } }
            try? await Task.sleep(for: .milliseconds(300))
            peak = ProcessProbe.threadCount
            try await group.waitForAll()
        }
        #expect(peak - threadsBefore <= 8, "threads before \(threadsBefore), with 100 waiting \(peak)")

        Freezer.thawPostgres(stack, frozen)
        thawed = true
        let mary = BasicAuthorization.header(username: "mary_smith", password: "EXAMPLE_PASSWORD_2")
        let back = await TestServers.eventually(timeout: .seconds(2)) {
            (try? await client.fetch("/", authorization: mary).status) == 200
        }
        #expect(back, "a login through PostgreSQL works within 2 s of thawing")
    }

    @Test("PostgreSQL behind a black hole: doorman login exits 2 within connect_timeout + 1 s")
    func blackHoleLogin() async throws {
        let hole = BlackHole()
        defer { hole.close() }
        // What starting the binary costs on this (loaded) machine, measured the same way, is not PostgreSQL's.
        let launched = ContinuousClock.now
        _ = try await DoormanBinary.run(["--help"])
        let startup = ContinuousClock.now - launched
        let started = ContinuousClock.now
        let result = try await DoormanBinary.run(
            ["login", "john_doe", "--database-url", "postgresql://doorman@127.0.0.1:\(hole.port)/doorman?connect_timeout=2", "--no-cache"],
            input: "EXAMPLE_PASSWORD\n")
        let took = ContinuousClock.now - started
        #expect(result.status == 2, "\(result.standardError)")
        #expect(result.standardError.contains("PostgreSQL"), "\(result.standardError)")
        #expect(took < .seconds(3) + startup * 2, "connect_timeout + 1 s (+ \(startup) to start the binary): \(took)")
    }

    @Test("listener killed: a password changed by SQL is refused within 2 s, and the listener comes back")
    func listenerKilled() async throws {
        let applicationName = "doorman-listen-\(UUID().uuidString.prefix(8))"
        let url = TestServers.shared.databaseURL + "&application_name=\(applicationName)"
        let settings = try Settings.resolve(databaseURL: url, redisURL: TestServers.shared.redisURL + "?db=9", postgresTimeout: "30s", redisTimeout: "2s", environment: [:])
        let runtime = try Runtime(settings: settings, logger: TestServers.quietLogger)
        await runtime.prepareForLogins(listen: true)
        #expect(await TestServers.eventually(timeout: .seconds(10)) { runtime.listener.isListening })
        let user = try await TestServers.makeUser(password: "before")
        let first = await runtime.auth.authenticate(username: user, password: "before", origin: .cli)
        #expect(first.isAuthenticated, "\(first.summary)")
        let second = await runtime.auth.authenticate(username: user, password: "before", origin: .cli)
        #expect(second.source == .redis, "\(second.summary)")

        let admin = try PostgresGateway(configuration: .test(connectionString: TestServers.shared.databaseURL, poolSize: 1), logger: TestServers.quietLogger)
        // Kill the LISTEN backend, and change the password with plain SQL right after.
        _ = try await admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'", [applicationName])
        let changed = ContinuousClock.now
        try await admin.query("UPDATE users SET pwd = $2 WHERE username = $1", [user, try BCrypt.hash("after", cost: 4)])
        let refused = await TestServers.eventually(timeout: .seconds(2)) {
            await !runtime.auth.authenticate(username: user, password: "before", origin: .cli).isAuthenticated
        }
        #expect(refused, "the old password is refused within 2 s (took \(ContinuousClock.now - changed))")
        #expect(await TestServers.eventually(timeout: .seconds(30)) { runtime.listener.isListening && runtime.listener.connectionCount >= 2 })
        await runtime.shutdown()
        #expect(!runtime.listener.isListening)
    }
}
