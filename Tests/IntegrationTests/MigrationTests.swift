import DoormanCore
import DoormanPostgres
import Foundation
import Testing

/// `doorman db init`'s migrations on fresh databases of the shared server.
@Suite("SQL migrations")
struct MigrationTests {
    /// Creates an empty database and returns a gateway to it.
    func freshDatabase() async throws -> PostgresGateway {
        let name = "mig_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try PostgresGateway(configuration: PostgresConfiguration.test(connectionString: TestServers.shared.databaseURL, poolSize: 1))
        try await admin.query("CREATE DATABASE \(name)")
        let url = TestServers.shared.databaseURL.replacingOccurrences(of: "postgresql:///doorman?", with: "postgresql:///\(name)?")
        return try PostgresGateway(configuration: PostgresConfiguration.test(connectionString: url, poolSize: 1))
    }

    func count(_ table: String, _ gateway: PostgresGateway) async throws -> Int {
        Int(try await gateway.query("SELECT count(*) FROM \(table)").rows[0][0]!)!
    }

    @Test("applies everything once to an empty database; a second run changes nothing")
    func idempotent() async throws {
        let database = try await freshDatabase()
        let first = try await database.migrate(TestServers.migrations)
        #expect(first.applied == TestServers.migrations.map(\.name))
        let products = try await count("products", database)
        #expect(products > 300)
        #expect(try await count("users", database) == 2)

        let second = try await database.migrate(TestServers.migrations)
        #expect(second.applied.isEmpty)
        #expect(second.alreadyApplied.count == TestServers.migrations.count)
        #expect(try await count("products", database) == products)

        let seedProducts = try await database.products(limit: 3)
        #expect(seedProducts.map(\.name) == ["1L FOUNTAIN DRINKING WATER", "PINK COTTON BUDS", "WINE GLASS"])
        #expect(seedProducts.map(\.price) == ["2.55", "4.85", "9.75"])
        let all = try await database.products()
        #expect(all.contains { $0.name.contains("緑茶") })
        #expect(all.contains { $0.name.contains("🍕") })
        #expect(all.contains { $0.name.contains("CRÈME") })
    }

    @Test("schema only leaves the demo data out, and applies it on a later full run")
    func schemaOnly() async throws {
        let database = try await freshDatabase()
        let report = try await database.migrate(TestServers.migrations, includeSeedData: false)
        #expect(!report.skipped.isEmpty)
        #expect(try await count("users", database) == 0)
        #expect(try await database.migrate(TestServers.migrations).applied == report.skipped)
        #expect(try await count("users", database) == 2)
    }

    @Test("works on a database made by the seed's tutorial, without duplicating its rows")
    func seedDatabase() async throws {
        let database = try await freshDatabase()
        try await database.executeScript("""
                CREATE TABLE products (product_id SERIAL PRIMARY KEY, product_name VARCHAR (50), retail_price NUMERIC(5, 2));
                INSERT INTO products (product_name, retail_price) VALUES ('1L FOUNTAIN DRINKING WATER', 2.55);
                INSERT INTO products (product_name, retail_price) VALUES ('PINK COTTON BUDS', 4.85);
                INSERT INTO products (product_name, retail_price) VALUES ('WINE GLASS', 9.75);
                CREATE TABLE users (user_id SERIAL PRIMARY KEY, username VARCHAR (50), pwd VARCHAR (255));
                CREATE EXTENSION pgcrypto;
                INSERT INTO users (username, pwd) VALUES ('john_doe', crypt('EXAMPLE_PASSWORD', gen_salt('bf')));
                INSERT INTO users (username, pwd) VALUES ('mary_smith', crypt('EXAMPLE_PASSWORD_2', gen_salt('bf')));
                """)
        try await database.migrate(TestServers.migrations)
        #expect(try await count("users", database) == 2)
        let names = try await database.products(limit: 5).map(\.name)
        #expect(names.prefix(3) == ["1L FOUNTAIN DRINKING WATER", "PINK COTTON BUDS", "WINE GLASS"])
        #expect(names.filter { $0 == "WINE GLASS" }.count == 1)
    }

    @Test("a failing migration applies nothing and names the file")
    func failingMigration() async throws {
        let database = try await freshDatabase()
        let broken = TestServers.migrations + [Migration(name: "999_broken.sql", sql: "CREATE TABLE broken (;")]
        do {
            try await database.migrate(broken)
            Issue.record("a broken migration was applied")
        } catch let error as DoormanError {
            #expect(error.message.hasPrefix("999_broken.sql: "))
            #expect(error.kind == .database)
        }
        // All or nothing: the good files before it were rolled back too.
        let tables = try await database.query("SELECT to_regclass('products') IS NULL").rows[0][0]
        #expect(tables == "t")
    }

    @Test("products page by key: limit and after")
    func paging() async throws {
        let database = TestServers.shared
        let gateway = try PostgresGateway(configuration: PostgresConfiguration.test(connectionString: database.databaseURL))
        let all = try await gateway.products()
        let first = try await gateway.products(limit: 10)
        #expect(first == Array(all.prefix(10)))
        let next = try await gateway.products(limit: 10, after: first.last!.id)
        #expect(next == Array(all.dropFirst(10).prefix(10)))
        #expect(try await gateway.products(limit: 10, after: all.last!.id).isEmpty)
    }
}
