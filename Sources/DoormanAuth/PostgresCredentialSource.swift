import DoormanCore
import DoormanPostgres

/// Users' hashes from PostgreSQL (`SELECT pwd, pwd_version FROM users`), with
/// concurrent lookups of one user sharing one query (``SingleFlight``): a
/// thousand logins of one uncached user make one lookup.
///
/// With a `replica` (`--read-database-url`, a standby), lookups go there
/// first and to `postgres` (the primary) when the standby cannot answer,
/// knows no such user (it may not have replayed the user's creation yet), or
/// returns a hash older than a change this process has heard of (`freshness`):
/// replication lag never lets an old password in, nor keeps a new one out.
public final class PostgresCredentialSource: CredentialSource {
    /// The primary (the cache view asks it for current password versions).
    let postgres: PostgresGateway
    private let replica: PostgresGateway?
    private let freshness: CacheFreshness?
    private let flights = SingleFlight<String, PasswordRecord?>()

    /// A source reading `postgres`, or `replica` first (see above).
    public init(postgres: PostgresGateway, replica: PostgresGateway? = nil, freshness: CacheFreshness? = nil) {
        self.postgres = postgres
        self.replica = replica
        self.freshness = freshness
    }

    public func lookUp(_ username: String) async throws -> CredentialLookup {
        let postgres = postgres, replica = replica, freshness = freshness
        let (record, ticket) = try await flights.join(username) {
            if let replica,
               let record = try? await replica.passwordRecord(for: username),
               freshness?.accepts(record.version, for: username) ?? true {
                return record
            }
            return try await postgres.passwordRecord(for: username)
        }
        return CredentialLookup(record: record, queried: ticket.isLeader, ticket: ticket)
    }

    public func landed(_ username: String, since instant: ContinuousClock.Instant) -> Bool {
        flights.landed(username, since: instant)
    }

    public func typicalCost() async throws -> Int? {
        try await postgres.mostCommonHashCost()
    }

    public func replaceHash(of username: String, old: String, new: String) async throws -> HashReplacement {
        do {
            return try await postgres.replacePasswordHash(for: username, old: old, new: new) ? .replaced : .unchanged
        } catch let error as DoormanError where error.message.contains("SQLSTATE 42501") {
            return .notPermitted
        }
    }
}
