import DoormanCore
import DoormanPostgres
import Foundation
import Testing

/// The non-blocking libpq client against the real test PostgreSQL: the pool,
/// deadlines and cancellation, lost connections, notices.
@Suite("PostgreSQL client without blocking")
struct PostgresClientTests {
    func gateway(poolSize: Int = 4, queryTimeout: Duration = .seconds(2), applicationName: String? = nil) throws -> PostgresGateway {
        var url = TestServers.shared.databaseURL
        if let applicationName { url += "&application_name=\(applicationName)" }
        return try PostgresGateway(configuration: PostgresConfiguration(connectionString: url, poolSize: poolSize, queryTimeout: queryTimeout),
                                   logger: TestServers.quietLogger)
    }

    @Test("concurrent queries share the pool, each answered, never more connections than its size")
    func concurrentQueries() async throws {
        let postgres = try gateway(poolSize: 3, queryTimeout: .seconds(60))
        let answers = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<40 {
                group.addTask { try await postgres.query("SELECT $1::int * 2, pg_sleep(0.01)", [String(index)]).rows[0][0] }
            }
            var answers: [String?] = []
            for try await answer in group { answers.append(answer) }
            return answers
        }
        #expect(Set(answers.compactMap { $0 }) == Set((0..<40).map { String($0 * 2) }))
        #expect(postgres.health.snapshot().successes >= 40)
        await postgres.shutdown()
    }

    /// An admin connection to the shared server, for pg_stat_activity and pg_terminate_backend.
    func admin() throws -> PostgresGateway {
        try PostgresGateway(configuration: .test(connectionString: TestServers.shared.databaseURL, poolSize: 1), logger: TestServers.quietLogger)
    }

    @Test("past its deadline, SELECT pg_sleep(5) is cancelled on the server and the call throws in time")
    func deadlineCancels() async throws {
        let name = "doorman-test-\(UUID().uuidString.prefix(8))"
        let postgres = try gateway(poolSize: 1, queryTimeout: .seconds(1), applicationName: name)
        try await postgres.ping(deadline: .now + .seconds(60))  // connected before the clock starts
        let started = ContinuousClock.now
        do {
            try await postgres.query("SELECT pg_sleep(5)")
            Issue.record("pg_sleep(5) answered within a 1 s deadline")
        } catch let error as DoormanError {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("did not answer within 1 s"), "\(error.message)")
        }
        // Slack for a loaded test machine (every suite runs at once on two cores).
        #expect(ContinuousClock.now - started < .seconds(4), "deadline + slack")
        #expect(postgres.health.snapshot().timeouts == 1)
        let admin = try admin()
        let gone = await TestServers.eventually(timeout: .seconds(4.5)) {
            let running = try? await admin.query(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%pg_sleep(5)%' AND state = 'active'", [name])
            return running?.rows.first?.first == "0"
        }
        #expect(gone, "the server stopped the query (PQcancel), well before its 5 s")
        // The pool opens a new connection for the next call.
        try await postgres.ping(deadline: .now + .seconds(60))
    }

    @Test("a pooled connection dropped by the server is replaced and the read retried once")
    func droppedConnectionRetried() async throws {
        let name = "doorman-test-\(UUID().uuidString.prefix(8))"
        let postgres = try gateway(poolSize: 1, queryTimeout: .seconds(60), applicationName: name)
        let before = try await postgres.query("SELECT pg_backend_pid()").rows[0][0]
        let killed = try await admin().query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", [name])
        #expect(killed.rows[0][0] == "1")
        // A read (idempotent) succeeds on a new connection.
        let names = try await postgres.usernames()
        #expect(names.contains("john_doe"))
        let after = try await postgres.query("SELECT pg_backend_pid()").rows[0][0]
        #expect(before != after)
    }

    @Test("a black-hole host costs connect_timeout once; the calls right after fail fast")
    func blackHoleFailsFast() async throws {
        let hole = BlackHole()
        defer { hole.close() }
        let postgres = try PostgresGateway(configuration: PostgresConfiguration(
            connectionString: "postgresql://doorman@127.0.0.1:\(hole.port)/doorman?connect_timeout=1", queryTimeout: .seconds(5)),
            logger: TestServers.quietLogger)
        let first = ContinuousClock.now
        await #expect(throws: DoormanError.self) { try await postgres.ping() }
        let firstTook = ContinuousClock.now - first
        #expect(firstTook >= .milliseconds(900) && firstTook < .seconds(6), "one connect_timeout (+ slack for a loaded machine): \(firstTook)")
        // Right after, calls fail fast; one probe per back-off (250 ms doubling to 1 s) may pay connect_timeout again.
        var slow = 0
        for _ in 0..<10 {
            let started = ContinuousClock.now
            await #expect(throws: DoormanError.self) { try await postgres.ping() }
            if ContinuousClock.now - started >= .milliseconds(500) { slow += 1 }
        }
        #expect(slow <= 2, "\(slow) of 10 calls waited instead of failing fast")
        #expect(postgres.health.snapshot().state == .down)
    }

    @Test("no notice from the server reaches stderr (doorman db init on a migrated database: CREATE TABLE IF NOT EXISTS notices)")
    func noNoticeOnStderr() async throws {
        let flags = DoormanBinary.serverFlags(redisDatabase: 5)
        // Run in a process of its own: redirecting this process's stderr would hide other tests' output.
        let result = try await DoormanBinary.run(["db", "init"] + flags)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(!result.standardError.contains("NOTICE"), "\(result.standardError)")
        #expect(!result.standardError.contains("already exists"), "\(result.standardError)")
    }
}
