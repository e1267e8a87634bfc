import DoormanAuth
import DoormanCore
import DoormanPostgres
import DoormanRedis
import DoormanStack
import Foundation
import Logging

/// Doorman's parts, wired together from ``Settings``: the embedded stack when
/// it is needed, the two gateways and the login service. Every command, the
/// HTTP server and the terminal UI start from here.
public final class Runtime: Sendable {
    /// What this runtime was built from.
    public let settings: Settings
    /// The embedded stack this process attached to, if any.
    public let stack: EmbeddedStack?
    /// PostgreSQL.
    public let postgres: PostgresGateway
    /// Redis.
    public let redis: RedisGateway
    /// The cache-aside login.
    public let auth: AuthService
    /// A logger for the host program.
    public let logger: Logger

    /// Attaches to (or starts) the embedded stack when something is not
    /// configured, and creates the gateways. Nothing connects yet, except the
    /// stack's own start-up.
    public init(settings: Settings, logger: Logger = Logger(label: "doorman")) throws {
        self.settings = settings
        self.logger = logger
        let stack = settings.usesEmbeddedStack
            ? try EmbeddedStack.attach(settings.stack, migrations: try settings.migrations(), logger: logger)
            : nil
        do {
            let databaseURL: String? = switch settings.database {
            case .url(let url): url
            case .libpqEnvironment: nil
            case .embedded: stack?.databaseURL
            }
            let endpoint: RedisEndpoint = switch settings.cache {
            case .url(let endpoint): endpoint
            case .embedded: try RedisEndpoint(url: stack!.redisURL)
            }
            let postgres = try PostgresGateway(configuration: PostgresConfiguration(connectionString: databaseURL), logger: logger)
            let redis = try RedisGateway(configuration: RedisConfiguration(
                endpoint: endpoint, cacheTTL: settings.cacheTTL, caCertificateFile: settings.redisCACertificateFile), logger: logger)
            self.stack = stack
            self.postgres = postgres
            self.redis = redis
            self.auth = AuthService(postgres: postgres, redis: redis, logger: logger)
        } catch {
            stack?.detach()
            throw error
        }
    }

    /// Where the database is, for people: the embedded stack's socket, the
    /// host and database of a configured URL (never its password).
    public var databaseDescription: String {
        switch settings.database {
        case .embedded: "embedded PostgreSQL (\(settings.stack.stateDirectory))"
        case .libpqEnvironment: "PostgreSQL from the PG* environment"
        case .url: "PostgreSQL from --database-url / DATABASE_URL"
        }
    }

    /// Where the cache is, for people, with any password masked.
    public var cacheDescription: String {
        switch settings.cache {
        case .embedded: "embedded Redis (\(settings.stack.stateDirectory))"
        case .url(let endpoint): "Redis at \(endpoint.redactedURL)"
        }
    }

    /// Releases the embedded stack (the last process using it stops it).
    public func shutdown() {
        postgres.closeIdleConnections()
        redis.reset()
        stack?.detach()
    }
}
