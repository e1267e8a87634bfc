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
        #expect(ContinuousClock.now - started < .seconds(3), "deadline + slack")
        #expect(postgres.health.snapshot().timeouts == 1)
        let admin = try admin()
        let gone = await TestServers.eventually(timeout: .seconds(4)) {
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
        #expect(firstTook >= .milliseconds(900) && firstTook < .seconds(3), "one connect_timeout: \(firstTook)")
        for _ in 0..<10 {
            let started = ContinuousClock.now
            await #expect(throws: DoormanError.self) { try await postgres.ping() }
            #expect(ContinuousClock.now - started < .milliseconds(200), "fails fast while the breaker is open")
        }
        #expect(postgres.health.snapshot().state == .down)
    }

    @Test("no notice, warning or FATAL from the server reaches stderr")
    func noNoticeOnStderr() async throws {
        let marker = "doorman-notice-\(UUID().uuidString.prefix(8))"
        let name = "doorman-test-\(UUID().uuidString.prefix(8))"
        let postgres = try gateway(poolSize: 1, queryTimeout: .seconds(60), applicationName: name)
        let captured = try await withStderrCaptured {
            try await postgres.query("DO $$ BEGIN RAISE NOTICE '\(marker)'; RAISE WARNING '\(marker)'; END $$")
            // The server's FATAL when its backend is terminated.
            _ = try await admin().query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [name])
            try? await Task.sleep(for: .milliseconds(200))
            try await postgres.ping()
        }
        #expect(!captured.contains(marker), "\(captured)")
        #expect(!captured.contains("terminating connection"), "\(captured)")
    }

    /// Runs `body` with file descriptor 2 sent to a file; returns what was written.
    func withStderrCaptured(_ body: () async throws -> Void) async throws -> String {
        let path = NSTemporaryDirectory() + "doorman-stderr-\(UUID().uuidString)"
        let file = open(path, O_CREAT | O_RDWR | O_TRUNC, 0o600)
        let saved = dup(2)
        dup2(file, 2)
        var failure: (any Error)?
        do { try await body() } catch { failure = error }
        dup2(saved, 2)
        close(saved)
        close(file)
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: path)
        if let failure { throw failure }
        return text
    }
}
