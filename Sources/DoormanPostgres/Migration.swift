import DoormanCore
import Foundation

/// One SQL file from `sql/`, applied once and recorded in `doorman_schema_migrations`.
///
/// Files are applied in name order (`001_schema.sql`, `002_seed_users.sql`...).
/// A file whose first lines contain `-- doorman:seed-data` holds demo data,
/// which `doorman db init --schema-only` leaves out.
public struct Migration: Sendable, Equatable {
    /// The file name, e.g. `001_schema.sql`; the key it is recorded under.
    public var name: String
    /// The SQL script.
    public var sql: String
    /// `true` for demo data rather than schema.
    public var isSeedData: Bool

    /// Creates a migration from a file's name and contents.
    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
        self.isSeedData = sql.split(separator: "\n", maxSplits: 5).prefix(5).contains { $0.contains("doorman:seed-data") }
    }

    /// A checksum of the SQL text (FNV-1a, 64 bits, hex), recorded so that a
    /// file edited after it was applied can be reported.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Reads every `*.sql` file in `directory`, sorted by name.
    public static func load(from directory: URL) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw DoormanError(.configuration, "cannot read the SQL directory \(directory.path)")
        }
        let files = names.filter { $0.hasSuffix(".sql") }.sorted()
        guard !files.isEmpty else {
            throw DoormanError(.configuration, "no .sql files in \(directory.path)")
        }
        return try files.map { name in
            let url = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path), let sql = String(data: data, encoding: .utf8) else {
                throw DoormanError(.configuration, "cannot read \(url.path) as UTF-8")
            }
            return Migration(name: name, sql: sql)
        }
    }
}

/// What ``PostgresGateway/migrate(_:includeSeedData:)`` did.
public struct MigrationReport: Sendable, Equatable {
    /// Files applied by this call, in order.
    public var applied: [String] = []
    /// Files that were applied before.
    public var alreadyApplied: [String] = []
    /// Seed-data files left out (schema only).
    public var skipped: [String] = []
    /// Files applied before whose text has changed since (applied again: no).
    public var changedSinceApplied: [String] = []
}

extension PostgresGateway {
    /// Serialises concurrent `db init` runs (an arbitrary, fixed advisory-lock key).
    static let migrationLockKey = "7242891602"

    /// Applies the migrations not yet recorded, in order, in one transaction:
    /// all of them or none. Safe to run again and from several processes at once.
    @discardableResult
    public func migrate(_ migrations: [Migration], includeSeedData: Bool = true, deadline: ContinuousClock.Instant? = nil) async throws -> MigrationReport {
        // Scripts can take longer than a login's query: a minute unless the caller says otherwise.
        try await withConnection(deadline: deadline ?? .now + max(configuration.queryTimeout, .seconds(60)), retryOnLostConnection: false) { connection, deadline in
            try await connection.transaction(deadline: deadline) {
                try await connection.query("SELECT pg_advisory_xact_lock($1::bigint)", [Self.migrationLockKey], deadline: deadline)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS doorman_schema_migrations (
                        name text PRIMARY KEY,
                        checksum text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """, deadline: deadline
                )
                var recorded: [String: String] = [:]
                for row in try await connection.query("SELECT name, checksum FROM doorman_schema_migrations", deadline: deadline).rows {
                    if let name = row[0], let checksum = row[1] { recorded[name] = checksum }
                }
                var report = MigrationReport()
                for migration in migrations {
                    if let checksum = recorded[migration.name] {
                        report.alreadyApplied.append(migration.name)
                        if checksum != migration.checksum { report.changedSinceApplied.append(migration.name) }
                        continue
                    }
                    if migration.isSeedData && !includeSeedData {
                        report.skipped.append(migration.name)
                        continue
                    }
                    do {
                        try await connection.executeScript(migration.sql, deadline: deadline)
                    } catch let error as DoormanError {
                        throw DoormanError(error.kind, "\(migration.name): \(error.message)")
                    }
                    try await connection.query(
                        "INSERT INTO doorman_schema_migrations (name, checksum) VALUES ($1, $2)",
                        [migration.name, migration.checksum], deadline: deadline
                    )
                    report.applied.append(migration.name)
                }
                return report
            }
        }
    }
}
