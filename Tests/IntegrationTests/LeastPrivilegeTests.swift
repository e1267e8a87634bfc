import DoormanAuth
import DoormanCore
import DoormanPostgres
import DoormanRedis
import Foundation
import Testing

/// The least-privilege PostgreSQL role and Redis ACL user documented in the
/// README are enough for Doorman, and no more.
@Suite("Least privilege as documented")
struct LeastPrivilegeTests {
    @Test("the README's Redis ACL line lets Doorman work and nothing else")
    func redisACL() async throws {
        let readme = try String(contentsOf: TestServers.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let line = try #require(readme.split(separator: "\n").first { $0.hasPrefix("ACL SETUSER doorman ") })
        let password = "acl-\(UUID().uuidString)"
        let user = "doorman_acl_\(UUID().uuidString.prefix(6).lowercased())"
        let arguments = line.replacingOccurrences(of: "CHANGE-ME", with: password).split(separator: " ").map(String.init)
            .enumerated().map { $0.offset == 2 ? user : $0.element }  // a user of its own, not 'doorman'
        let admin = try RedisGateway(configuration: RedisConfiguration(endpoint: try RedisEndpoint(url: TestServers.shared.redisURL)))
        try await admin.run(arguments.map { Array($0.utf8) })

        let socket = TestServers.shared.redisURL.dropFirst("unix://".count)
        let endpoint = try RedisEndpoint(url: "unix://\(user):\(password)@\(socket)?db=6")
        let redis = try RedisGateway(configuration: RedisConfiguration(endpoint: endpoint, connectTimeout: .seconds(5), commandTimeout: .seconds(2)))
        let postgres = try PostgresGateway(configuration: PostgresConfiguration.test(connectionString: TestServers.shared.databaseURL))
        let service = AuthService(postgres: postgres, redis: redis, logger: TestServers.quietLogger)
        let victim = try await TestServers.makeUser(password: "acl pw")
        #expect(await service.authenticate(username: victim, password: "acl pw", origin: .cli).source == .postgres)
        let cached = await service.authenticate(username: victim, password: "acl pw", origin: .cli)
        #expect(cached.source == .redis && !cached.cacheUnavailable)
        #expect(await service.authenticate(username: victim, password: "wrong", origin: .cli).result == .rejected)
        #expect(try await service.unlock(victim) >= 0)
        #expect(try await service.flushCache() >= 1)

        for forbidden in [["FLUSHALL"], ["CONFIG", "GET", "*"], ["KEYS", "*"], ["GET", "someone:else"], ["EVAL", "return 1", "0"], ["SHUTDOWN"]] {
            await #expect(throws: DoormanError.self, "\(forbidden)") { try await redis.run(forbidden.map { Array($0.utf8) }) }
        }
        _ = try? await admin.run(["ACL", "DELUSER", user].map { Array($0.utf8) })
    }

    @Test("sql/roles/doorman_login.sql: enough to log in, listen and catch up; no writes to users")
    func postgresRole() async throws {
        let file = TestServers.packageRoot.appendingPathComponent("sql/roles/doorman_login.sql")
        let password = "pg-\(UUID().uuidString)"
        let role = "doorman_login_\(UUID().uuidString.prefix(6).lowercased())"
        let script = try String(contentsOf: file, encoding: .utf8)
            .replacingOccurrences(of: ":password", with: "'\(password)'")
            .replacingOccurrences(of: "doorman_login", with: role)
        let admin = try PostgresGateway(configuration: PostgresConfiguration.test(connectionString: TestServers.shared.databaseURL, poolSize: 1))
        try await admin.executeScript(script)

        let url = TestServers.shared.databaseURL.replacingOccurrences(of: "user=doorman", with: "user=\(role)&password=\(password)")
        let postgres = try PostgresGateway(configuration: PostgresConfiguration.test(connectionString: url))
        let service = try TestServers.service()
        let limited = AuthService(postgres: postgres, redis: service.redis, logger: TestServers.quietLogger)
        try await limited.prepare()
        let invalidator = CacheInvalidator(auth: limited, postgres: postgres, logger: TestServers.quietLogger)
        try await invalidator.catchUp()
        #expect(await limited.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).isAuthenticated)
        #expect(try await postgres.products(limit: 3).count == 3)
        await #expect(throws: DoormanError.self) { try await postgres.setPasswordHash("$2a$04$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzab", for: "john_doe") }
        await #expect(throws: DoormanError.self) { try await postgres.query("SELECT user_id FROM users") }
        // Rehashing a weak hash is refused to this role: reported, not thrown.
        let current = try #require(try await postgres.passwordRecord(for: "john_doe")).hash
        #expect(try await PostgresCredentialSource(postgres: postgres).replaceHash(of: "john_doe", old: current, new: current) == .notPermitted)
    }
}
