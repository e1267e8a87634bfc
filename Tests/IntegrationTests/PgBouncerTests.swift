import DoormanCore
import DoormanHTTP
import DoormanPasswords
import DoormanPostgres
import DoormanStack
import Foundation
import Testing

/// Doorman behind a real PgBouncer 1.18 in transaction pooling mode, in
/// front of the shared test PostgreSQL.
@Suite("PgBouncer in transaction mode")
struct PgBouncerTests {
    static var backendPort: Int {
        get throws { try #require(TestServers.shared.postgresTCPAddress?.port, "the shared stack listens on TCP") }
    }

    @Test("Logins through PgBouncer: PostgreSQL, then Redis; a wrong password refused; no session state is left behind")
    func logins() async throws {
        let bouncer = try await PgBouncerServer.start(backendPort: try Self.backendPort)
        defer { bouncer.stop() }
        let postgres = try PostgresGateway(configuration: .test(connectionString: bouncer.databaseURL(), poolSize: 2), logger: TestServers.quietLogger)
        let service = try TestServers.service(postgres: postgres)
        var users: [String] = []
        for _ in 0..<3 { users.append(try await TestServers.makeUser(password: "through-the-bouncer")) }
        // Logins at once: more clients than server connections get swapped between transactions.
        let first = await withTaskGroup(of: AuthOutcome.self) { group in
            for user in users { group.addTask { await service.authenticate(username: user, password: "through-the-bouncer", origin: .http) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(first.map(\.source) == [.postgres, .postgres, .postgres], "\(first.map(\.summary)) \(bouncer.log)")
        for user in users {
            #expect(await service.authenticate(username: user, password: "through-the-bouncer", origin: .http).source == .redis)
        }
        #expect(await service.authenticate(username: users[0], password: "wrong", origin: .http).result == .rejected)
        // Nothing Doorman runs sets anything for the session: a server
        // connection PgBouncer hands on has every setting as it was, but for
        // the ones PgBouncer itself keeps in step with each client.
        let settings = try await postgres.query("""
            SELECT count(*) FROM pg_settings WHERE source = 'session'
            AND name NOT IN ('application_name', 'client_encoding', 'DateStyle', 'TimeZone', 'IntervalStyle', 'standard_conforming_strings')
            """).rows
        #expect(settings.first?.first == "0", "session-level settings: \(settings)")
    }

    @Test("doorman db init through PgBouncer: two at once, serialised by a transaction-level advisory lock")
    func migrationsThroughPgBouncer() async throws {
        let bouncer = try await PgBouncerServer.start(backendPort: try Self.backendPort)
        let direct = try PostgresGateway(configuration: .test(connectionString: TestServers.shared.databaseURL, poolSize: 1), logger: TestServers.quietLogger)
        let database = "doorman_pgb_\(UUID().uuidString.prefix(8).lowercased())"
        try await direct.query("CREATE DATABASE \(database)")
        defer {
            bouncer.stop()
            let direct = direct
            Task { _ = try? await direct.query("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
        }
        let arguments = ["db", "init", "--no-cache", "--database-url", bouncer.databaseURL(database: database)]
        async let one = DoormanBinary.run(arguments)
        async let two = DoormanBinary.run(arguments)
        let results = try await [one, two]
        for result in results {
            #expect(result.status == 0, "\(result.standardOutput) \(result.standardError) \(bouncer.log)")
        }
        let applied = results.map { $0.standardOutput.contains("applied 001_schema.sql") }
        #expect(applied.filter { $0 }.count == 1, "one run applies, the other finds it done: \(results.map(\.standardOutput))")
        let recorded = try await direct.query("SELECT count(*) FROM doorman_schema_migrations", deadline: nil)
        _ = recorded  // on the shared database: only to show the direct connection works
        let inNew = try PostgresGateway(configuration: .test(connectionString: bouncer.databaseURL(database: database), poolSize: 1), logger: TestServers.quietLogger)
        let rows = try await inNew.query("SELECT count(*) FROM doorman_schema_migrations").rows
        #expect(rows.first?.first == String(TestServers.migrations.count))
    }

    /// `doorman serve` whose database URL is PgBouncer's; its standard error goes to `log`.
    static func serve(port: Int, databaseURL: String, notifyURL: String?, log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DoormanBinary.path)
        process.arguments = ["serve", "--port", String(port), "--database-url", databaseURL,
                             "--redis-url", TestServers.shared.redisURL + "?db=7", "--redis-timeout", "2s"]
            + (notifyURL.map { ["--notify-database-url", $0] } ?? [])
        process.environment = DoormanBinary.cleanEnvironment
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// `/healthz`'s `change_feed`, once the server answers.
    static func changeFeed(port: Int) async -> String? {
        guard let client = try? await RawHTTPClient.open(port: port), let response = try? await client.fetch("/healthz") else { return nil }
        return response.json?["change_feed"] as? String
    }

    /// Logs `user` in over HTTP; the status and who answered.
    static func login(port: Int, user: String, password: String) async throws -> (Int, String?) {
        let client = try await RawHTTPClient.open(port: port)
        let response = try await client.fetch("/products?limit=1", authorization: BasicAuthorization.header(username: user, password: password))
        return (response.status, response.header("X-Authenticated-By"))
    }

    /// Serves through PgBouncer, changes a password by SQL on the real
    /// PostgreSQL, and returns how long until the old one was refused.
    func changeRefusedAfter(notifyURL: String?, expectedFeed: String, waitForLog: String? = nil) async throws -> (Duration, String) {
        let bouncer = try await PgBouncerServer.start(backendPort: try Self.backendPort)
        defer { bouncer.stop() }
        let port = try FreePort.free()
        let log = TestServers.makeTemporaryDirectory(prefix: "doorman-test-pgb-serve") + "/serve.log"
        defer { try? FileManager.default.removeItem(atPath: (log as NSString).deletingLastPathComponent) }
        let server = try Self.serve(port: port, databaseURL: bouncer.databaseURL(), notifyURL: notifyURL, log: log)
        defer { kill(server.processIdentifier, SIGKILL) }
        let user = try await TestServers.makeUser(password: "before")
        let feed = await TestServers.eventually(timeout: .seconds(15)) { await Self.changeFeed(port: port) == expectedFeed }
        let state = await Self.changeFeed(port: port)
        #expect(feed, "change_feed is \(state ?? "?"), not \(expectedFeed)")
        let (status, _) = try await Self.login(port: port, user: user, password: "before")
        #expect(status == 200)
        let (again, source) = try await Self.login(port: port, user: user, password: "before")
        #expect(again == 200 && source == "redis", "the second login is a Redis hit: \(again) \(source ?? "?")")

        let direct = try PostgresGateway(configuration: .test(connectionString: TestServers.shared.databaseURL, poolSize: 1), logger: TestServers.quietLogger)
        try await direct.query("UPDATE users SET pwd = $2 WHERE username = $1", [user, try BCrypt.hash("after", cost: 4)])
        let changed = ContinuousClock.now
        let refused = try await TestServers.eventually(timeout: .seconds(5)) {
            try await Self.login(port: port, user: user, password: "before").0 == 401
        }
        let took = ContinuousClock.now - changed
        #expect(refused, "the old password is still accepted")
        #expect(try await Self.login(port: port, user: user, password: "after").0 == 200)
        if let waitForLog {
            let said = await TestServers.eventually(timeout: .seconds(6)) {
                ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains(waitForLog)
            }
            #expect(said, "the log never said \(waitForLog)")
            #expect(await Self.changeFeed(port: port) == expectedFeed)
        }
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
        return (took, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    @Test("--notify-database-url: through PgBouncer, a password changed by SQL is refused within 1 s")
    func notifyURL() async throws {
        let (took, log) = try await changeRefusedAfter(notifyURL: TestServers.shared.databaseURL, expectedFeed: "listening")
        print("pgbouncer with --notify-database-url: a password changed by SQL refused after \(took)")
        #expect(took < .seconds(1), "refused after \(took)")
        #expect(!log.contains("notifications do not arrive"), "\(log)")
    }

    @Test("Without it: Doorman finds that notifications do not arrive, says so once, polls; a change is refused within 2 s")
    func pollingWithoutNotifyURL() async throws {
        let (took, log) = try await changeRefusedAfter(notifyURL: nil, expectedFeed: "polling", waitForLog: "notifications do not arrive")
        print("pgbouncer without --notify-database-url (polling): a password changed by SQL refused after \(took)")
        #expect(took < .seconds(2), "refused after \(took)")
        let warnings = log.components(separatedBy: "notifications do not arrive through this connection").count - 1
        #expect(warnings == 1, "said once why it polls: \(log)")
        #expect(log.contains("--notify-database-url"))
    }
}
