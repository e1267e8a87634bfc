import DoormanCore
import Logging

/// Doorman's access to PostgreSQL, the source of truth for users and products.
///
/// Holds a small pool of libpq connections. Every method blocks the calling
/// thread: call it from a thread pool, never from an event loop. A read that
/// fails because a pooled connection was dropped (server restart,
/// `pg_terminate_backend`) is retried once on a new connection.
public final class PostgresGateway: Sendable {
    /// The configuration this gateway connects with.
    public let configuration: PostgresConfiguration
    let pool: ConnectionPool<PostgresConnection>
    let logger: Logger

    /// Creates a gateway; no connection is opened until one is needed.
    public init(configuration: PostgresConfiguration, logger: Logger = Logger(label: "doorman.postgres")) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        self.pool = ConnectionPool(capacity: max(1, configuration.poolSize), acquireTimeout: configuration.acquireTimeout) {
            try PostgresConnection(configuration: configuration)
        }
    }

    /// Runs `body` on a pooled connection.
    ///
    /// With `retryOnLostConnection` (for reads and other idempotent work), a
    /// reused connection that turns out to be dead is dropped with the rest of
    /// the idle pool and `body` runs once more on a new connection.
    @discardableResult
    public func withConnection<T>(retryOnLostConnection: Bool = true, _ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            return try pool.withConnection { connection, fresh in
                do {
                    return try body(connection)
                } catch let error as DoormanError where error.kind == .unavailable && !fresh && retryOnLostConnection {
                    throw LostPooledConnection(underlying: error)
                }
            }
        } catch let lost as LostPooledConnection {
            logger.info("PostgreSQL connection was lost; reconnecting", metadata: ["reason": "\(lost.underlying.message)"])
            pool.drain()
            return try pool.withConnection { connection, _ in try body(connection) }
        }
    }

    /// Closes idle connections (they reopen on demand).
    public func closeIdleConnections() {
        pool.drain()
    }

    /// Connects and runs `SELECT 1`; throws if PostgreSQL cannot be used.
    public func ping() throws {
        try withConnection { try $0.query("SELECT 1") }
    }
}

private struct LostPooledConnection: Error {
    let underlying: DoormanError
}
