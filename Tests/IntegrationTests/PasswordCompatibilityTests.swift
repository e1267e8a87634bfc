import DoormanPasswords
import Foundation
import DoormanPostgres
import Testing

/// bcrypt hashes cross between pgcrypto and libxcrypt in both directions.
@Suite("bcrypt between pgcrypto and Swift")
struct PasswordCompatibilityTests {
    let postgres: PostgresGateway

    init() throws {
        postgres = try PostgresGateway(configuration: PostgresConfiguration.test(connectionString: TestServers.shared.databaseURL))
    }

    @Test("a hash made by pgcrypto verifies in Swift", arguments: [6, 10])
    func pgcryptoToSwift(cost: Int) async throws {
        let hash = try await postgres.query("SELECT crypt($1, gen_salt('bf', $2::int))", ["pässwörd ☕", String(cost)]).rows[0][0]!
        #expect(hash.hasPrefix(String(format: "$2a$%02d$", cost)))
        #expect(BCrypt.verify("pässwörd ☕", against: hash))
        #expect(!BCrypt.verify("passwörd ☕", against: hash))
        #expect(BCrypt.cost(of: hash) == cost)
    }

    @Test("a hash made in Swift verifies in pgcrypto", arguments: [4, 10])
    func swiftToPgcrypto(cost: Int) async throws {
        let hash = try BCrypt.hash("EXAMPLE_PASSWORD ü", cost: cost)
        #expect(hash.hasPrefix("$2a$"))
        let matches = try await postgres.query("SELECT crypt($1, $2) = $2, crypt($3, $2) = $2", ["EXAMPLE_PASSWORD ü", hash, "EXAMPLE_PASSWORD u"]).rows[0]
        #expect(matches == ["t", "f"])
    }

    @Test("the seed users' hashes are $2a$ cost 6, as pgcrypto's gen_salt('bf') makes them")
    func seedHashes() async throws {
        let hash = try #require(try await postgres.passwordHash(for: "john_doe"))
        #expect(hash.hasPrefix("$2a$06$"))
        #expect(BCrypt.verify("EXAMPLE_PASSWORD", against: hash))
    }
}
