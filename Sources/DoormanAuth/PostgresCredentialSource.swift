import DoormanCore
import DoormanPostgres

/// Users' hashes from PostgreSQL (`SELECT pwd, pwd_version FROM users`), with
/// concurrent lookups of one user sharing one query (``SingleFlight``): a
/// thousand logins of one uncached user make one lookup.
public final class PostgresCredentialSource: CredentialSource {
    /// The database (the cache view asks it for current password versions).
    let postgres: PostgresGateway
    private let flights = SingleFlight<String, PasswordRecord?>()

    /// A source reading `postgres`.
    public init(postgres: PostgresGateway) {
        self.postgres = postgres
    }

    public func lookUp(_ username: String) async throws -> CredentialLookup {
        let postgres = postgres
        let (record, ticket) = try await flights.join(username) {
            try await postgres.passwordRecord(for: username)
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
