import DoormanAuth
import DoormanCore
import DoormanPostgres
import DoormanRedis
import DoormanStack
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

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
    /// Password lookups' standby (`--read-database-url`), if any.
    public let readPostgres: PostgresGateway?
    /// Redis, unless the cache is off (`--no-cache`).
    public let redis: RedisGateway?
    /// The cache-aside login.
    public let auth: AuthService
    /// Keeps cached hashes in step with user changes in PostgreSQL.
    public let invalidator: CacheInvalidator
    /// The products, kept while nothing changes (once ``prepareForLogins(listen:)`` listens).
    public let catalog: ProductCatalog
    /// Listens for user and product changes (once ``prepareForLogins(listen:)`` listens).
    public let listener: NotificationListener
    private let poller = Mutex<Task<Void, Never>?>(nil)
    /// A logger for the host program.
    public let logger: Logger

    /// Attaches to (or starts) the embedded stack when something is not
    /// configured, and creates the gateways and the login service. Nothing
    /// else connects yet; commands that log users in call
    /// ``prepareForLogins(listen:)`` next.
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
            let endpoint: RedisEndpoint? = switch settings.cache {
            case .url(let endpoint): endpoint
            case .embedded: try RedisEndpoint(url: stack!.redisURL)
            case .disabled: nil
            }
            let postgres = try PostgresGateway(configuration: PostgresConfiguration(
                connectionString: databaseURL, queryTimeout: settings.postgresTimeout), logger: logger)
            let redis = try endpoint.map { try RedisGateway(configuration: RedisConfiguration(
                endpoint: $0, commandTimeout: settings.redisTimeout, cacheTTL: settings.cacheTTL,
                caCertificateFile: settings.redisCACertificateFile), logger: logger) }
            let readPostgres = try settings.readDatabaseURL.map { url in
                try PostgresGateway(configuration: PostgresConfiguration(connectionString: url, queryTimeout: settings.postgresTimeout), logger: logger)
            }
            self.stack = stack
            self.postgres = postgres
            self.readPostgres = readPostgres
            self.redis = redis
            let auth = AuthService(postgres: postgres, redis: redis, replica: readPostgres, configuration: settings.authConfiguration, logger: logger)
            let invalidator = CacheInvalidator(auth: auth, postgres: postgres, logger: logger)
            let catalog = ProductCatalog { try await postgres.products() }
            self.auth = auth
            self.invalidator = invalidator
            self.catalog = catalog
            // One connection listens for both kinds of change: a direct one
            // of its own when the database URL goes through PgBouncer.
            var listenerConfiguration = postgres.configuration
            if let notifyURL = settings.notifyDatabaseURL { listenerConfiguration.connectionString = notifyURL }
            self.listener = NotificationListener(
                configuration: listenerConfiguration, channels: [CacheInvalidator.channel, ProductCatalog.channel], logger: logger
            ) { event in
                // The listener waits for each event to be handled, so that changes are applied in order.
                await invalidator.handle(event)
                switch event {
                case .connected: catalog.isListening = true  // starts afresh: changes may have been missed
                case .disconnected: catalog.isListening = false
                case .notification(let channel, _) where channel == ProductCatalog.channel: catalog.invalidate()
                case .notification: break
                }
            }
        } catch {
            stack?.detach()
            throw error
        }
    }

    /// Gets ready to log users in: loads the cache-signing key and learns of
    /// recent user changes, so that no stale cached hash is accepted. With
    /// `listen` (long-running programs: the server, the UI) it also LISTENs
    /// for user changes for as long as the runtime lives.
    ///
    /// If PostgreSQL cannot be reached yet this only logs a warning: logins
    /// that need it report it unavailable until it answers, and the listener
    /// catches up once it connects.
    public func prepareForLogins(listen: Bool) async {
        do {
            try await auth.prepare()
            try await invalidator.catchUp()
        } catch let error as DoormanError {
            logger.warning("not ready to use the cache yet", metadata: ["reason": "\(error.message)"])
        } catch {
            logger.warning("not ready to use the cache yet", metadata: ["reason": "\(type(of: error))"])
        }
        if listen {
            listener.start()
            startPolling()
        }
    }

    /// The long-running parts as services, in the order they start:
    /// PostgreSQL's pool, Redis' pool, then the change feed (the LISTEN
    /// connection, and polling while it is deaf). Put them first in a
    /// `ServiceGroup`, before the HTTP server: the group stops them in reverse
    /// order, so the server finishes its requests while the stores are still
    /// there, and the listener is joined before the pools close.
    public var services: [any Service] {
        var services: [any Service] = [postgres]
        if let readPostgres { services.append(readPostgres) }
        if let redis { services.append(redis) }
        services.append(ChangeFeed(runtime: self))
        return services
    }

    /// Listens and polls for changes while it runs (see ``services``).
    struct ChangeFeed: Service {
        let runtime: Runtime

        func run() async throws {
            runtime.listener.start()
            runtime.startPolling()
            try? await gracefulShutdown()
            await runtime.stopListening()
        }
    }

    /// How this process learns of user changes right now: `listening`
    /// (notifications arrive) or `polling` (reading `doorman_user_changes`
    /// every second: not connected yet, or notifications do not arrive, as
    /// through PgBouncer without `--notify-database-url`).
    public var changeFeedState: String {
        listener.isListening ? "listening" : "polling"
    }

    /// Stops polling and listening, and waits for both to finish.
    func stopListening() async {
        let polling = poller.withLock { poller in
            defer { poller = nil }
            return poller
        }
        polling?.cancel()
        await polling?.value
        await listener.stop()
    }

    /// While the listener is not listening, reads `doorman_user_changes` every
    /// second and applies what it finds as if it had been notified: a password
    /// changed by SQL is refused within about two seconds even with no listener.
    func startPolling(every interval: Duration = .seconds(1)) {
        let postgres = postgres, invalidator = invalidator, listener = listener, logger = logger
        poller.withLock { poller in
            guard poller == nil else { return }
            poller = Task {
                var lastSeen: Int64?
                while !Task.isCancelled {
                    do {
                        if listener.isListening {
                            lastSeen = nil  // heard by the listener
                        } else if let after = lastSeen {
                            for change in try await postgres.userChanges(after: after) {
                                await invalidator.apply(change, onlyIfOlder: true)
                                lastSeen = max(after, change.id)
                            }
                        } else {
                            // Just went deaf: what the listener may have missed
                            // (since its last check, 5 s ago at most), then onwards.
                            let recent = try await postgres.userChanges(within: .seconds(15))
                            for change in recent { await invalidator.apply(change, onlyIfOlder: true) }
                            if let newest = recent.last?.id { lastSeen = newest } else { lastSeen = try await postgres.latestChangeID() }
                        }
                    } catch {
                        logger.debug("could not poll for user changes", metadata: ["reason": "\((error as? DoormanError)?.message ?? "\(type(of: error))")"])
                    }
                    try? await Task.sleep(for: interval)
                }
            }
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
        case .disabled: "no cache"
        }
    }

    /// Releases the embedded stack (the last process using it stops it).
    public func shutdown() async {
        await stopListening()
        await postgres.shutdown()
        await readPostgres?.shutdown()
        redis?.reset()
        stack?.detach()
    }
}
