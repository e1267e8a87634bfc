import DoormanAuth
import DoormanCore
import DoormanPostgres
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The seed's HTTP API on Hummingbird 2, done right.
///
/// - `GET /` and `GET /products` with Basic credentials: 200 and the seed's
///   JSON (`{"authenticated_by": "Redis Server" | "PostgreSQL Server", "data": [...]}`)
///   plus `X-Authenticated-By: redis | postgres`; `?limit=N&after=ID` pages by key.
/// - Any failed login: one uniform 401 with `WWW-Authenticate`; PostgreSQL
///   unreachable on a cache miss: 503 with `Retry-After`, never 401.
/// - `GET /healthz` and `GET /metrics` (Prometheus), without credentials.
///
/// libpq, hiredis and bcrypt run on NIO's blocking thread pool, never on an
/// event loop. The same type runs standalone (``run()``) or hosted on a
/// background task of another program (``start()``), sharing that program's
/// gateways and statistics.
public final class DoormanHTTPServer: Sendable {
    /// How it listens.
    public let configuration: HTTPServerConfiguration
    /// The login service (and through it, both gateways and the statistics).
    public let auth: AuthService
    /// The Prometheus metrics served at `/metrics`.
    public let metrics: ServerMetrics
    let bodies: ProductBodies
    let healthMonitor: HealthMonitor
    let logger: Logger
    let threadPool: NIOThreadPool

    /// Creates a server over an existing login service.
    ///
    /// `catalog` serves the products; give the program's listening catalog so
    /// that the list is read from PostgreSQL only when it changes. `health`
    /// names the stores `/healthz` reports, PostgreSQL first.
    public init(configuration: HTTPServerConfiguration, auth: AuthService, catalog: ProductCatalog, health: [HealthCheck],
                threadPool: NIOThreadPool = .singleton, logger: Logger = Logger(label: "doorman.http")) {
        self.configuration = configuration
        self.auth = auth
        self.bodies = ProductBodies(catalog: catalog)
        self.healthMonitor = HealthMonitor(checks: health)
        self.metrics = ServerMetrics(statistics: auth.statistics, stores: health.compactMap(\.health))
        self.threadPool = threadPool
        self.logger = logger
    }

    /// Serves until SIGINT or SIGTERM, then finishes in-flight requests and returns.
    public func run() async throws {
        try await makeApplication { [logger] address in
            logger.notice("Doorman HTTP server listening on http://\(address)")
        }.runService()
    }

    /// Starts serving on a background task and returns once the socket is
    /// bound; ``RunningHTTPServer/stop()`` shuts it down.
    public func start() async throws -> RunningHTTPServer {
        let (addresses, continuation) = AsyncStream.makeStream(of: String.self)
        let application = makeApplication { address in
            continuation.yield(address)
            continuation.finish()
        }
        // A service group of its own, with no signal handlers (the host owns
        // the signals), so that stop() can shut down gracefully.
        let group = ServiceGroup(configuration: .init(services: [application], gracefulShutdownSignals: [], logger: frameworkLogger))
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        guard let address = await addresses.first(where: { _ in true }) else {
            // The application stopped before binding: report why.
            try await task.value
            throw DoormanError(.unavailable, "the HTTP server stopped before it started listening")
        }
        return RunningHTTPServer(address: address, group: group, task: task)
    }

    func makeApplication(onRunning: @escaping @Sendable (String) -> Void) -> some ApplicationProtocol {
        let router = Router(context: DoormanRequestContext.self)
        router.add(middleware: ResponseMetricsMiddleware(metrics: metrics))
        let handlers = Handlers(server: self)
        router.group()
            .add(middleware: BasicAuthenticator(auth: auth, retryAfterSeconds: configuration.retryAfterSeconds))
            .get("/", use: handlers.products)
            .get("/products", use: handlers.products)
        router.get("/healthz", use: handlers.health)
        router.get("/metrics", use: handlers.metrics)
        return Application(
            router: router,
            server: .http1(configuration: .init(
                idleTimeout: .nanoseconds(Int64(configuration.idleTimeout.components.seconds) * 1_000_000_000
                    + configuration.idleTimeout.components.attoseconds / 1_000_000_000),
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: configuration.maxHeaderBytes,
                    maxHeaderListSize: configuration.maxHeaderBytes,
                    maxHeaderFieldCount: 100)
            )),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Doorman"),
            onServerRunning: { channel in
                let address = channel.localAddress.map { address in
                    let host = address.ipAddress ?? "?"
                    return "\(host.contains(":") ? "[\(host)]" : host):\(address.port ?? 0)"
                } ?? "?"
                onRunning(address)
            },
            logger: frameworkLogger
        )
    }

    /// Hummingbird's own logger: quieter than ours by one step at the default
    /// level, so that start-up is one line (ours, with the URL).
    private var frameworkLogger: Logger {
        var quieter = logger
        if quieter.logLevel == .info { quieter.logLevel = .notice }
        return quieter
    }

    /// Runs blocking work (libpq, hiredis, bcrypt) on the blocking thread pool.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(body)
    }
}

/// A server started with ``DoormanHTTPServer/start()``.
public final class RunningHTTPServer: Sendable {
    /// `host:port` it listens on.
    public let address: String
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    init(address: String, group: ServiceGroup, task: Task<Void, any Error>) {
        self.address = address
        self.group = group
        self.task = task
    }

    /// The port it listens on.
    public var port: Int { Int(address.split(separator: ":").last ?? "") ?? 0 }

    /// Stops accepting connections, lets in-flight requests finish, and waits.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
