import DoormanPostgres
import Synchronization

/// The key that signs cached entries, read from PostgreSQL (`doorman_secrets`)
/// once and kept. While it cannot be read, the cache is not used.
public final class CacheSigningKey: Sendable {
    private let postgres: PostgresGateway
    private let key = Mutex<[UInt8]?>(nil)

    /// A key to be read from `postgres`.
    public init(postgres: PostgresGateway) {
        self.postgres = postgres
    }

    /// The key, read now if it has not been yet; `nil` while PostgreSQL cannot be asked.
    func value() async -> [UInt8]? {
        if let known = key.withLock({ $0 }) { return known }
        return try? await load()
    }

    /// Reads the key now (at start-up, so that the first login need not).
    @discardableResult
    func load() async throws -> [UInt8] {
        if let known = key.withLock({ $0 }) { return known }
        let postgres = postgres
        let loaded = try await postgres.cacheSigningKey()
        key.withLock { $0 = loaded }
        return loaded
    }
}
