import DoormanAuth
import DoormanCore
import DoormanPostgres
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

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
public final class DoormanHTTPServer: Service, Sendable {
    /// How it listens.
    public let configuration: HTTPServerConfiguration
    /// The login service (and through it, both gateways and the statistics).
    public let auth: AuthService
    /// The Prometheus metrics served at `/metrics`.
    public let metrics: ServerMetrics
    let bodies: ProductBodies
    let healthMonitor: HealthMonitor
    /// How the process learns of user changes (`listening`, `polling`), for `/healthz`.
    let changeFeed: (@Sendable () -> String)?
    /// Reads the fleet view for `GET /fleet` (`nil` without a cache).
    let fleet: (@Sendable () async throws -> [FleetMember])?
    /// What ``HTTPServerConfiguration/instanceName`` says, or `HOSTNAME:PORT`
    /// once the main listener has bound its port.
    let instance: Mutex<String>
    let logger: Logger
    let threadPool: NIOThreadPool

    /// Creates a server over an existing login service.
    ///
    /// `catalog` serves the products; give the program's listening catalog so
    /// that the list is read from PostgreSQL only when it changes. `health`
    /// names the stores `/healthz` reports, PostgreSQL first; `changeFeed`, if
    /// given, says how user changes are learnt of (`/healthz`'s `change_feed`).
    /// `fleet` reads the instances that publish to Redis, for `GET /fleet`.
    public init(configuration: HTTPServerConfiguration, auth: AuthService, catalog: ProductCatalog, health: [HealthCheck],
                changeFeed: (@Sendable () -> String)? = nil,
                fleet: (@Sendable () async throws -> [FleetMember])? = nil,
                threadPool: NIOThreadPool = .singleton, logger: Logger = Logger(label: "doorman.http")) {
        self.changeFeed = changeFeed
        self.fleet = fleet
        self.configuration = configuration
        self.auth = auth
        self.bodies = ProductBodies(catalog: catalog)
        self.healthMonitor = HealthMonitor(checks: health)
        self.metrics = ServerMetrics(statistics: auth.statistics, stores: health.compactMap(\.health))
        self.threadPool = threadPool
        self.logger = logger
        self.instance = Mutex(configuration.instanceName ?? "\(Self.hostname):\(configuration.port)")
        if let name = configuration.instanceName { metrics.name(instance: name) }
    }

    /// The name of this instance (see ``HTTPServerConfiguration/instanceName``).
    public var instanceName: String { instance.withLock { $0 } }

    private func boundMainListener(port: Int) {
        guard configuration.instanceName == nil else { return }
        let name = "\(Self.hostname):\(port)"
        instance.withLock { $0 = name }
        metrics.name(instance: name)
    }

    static let hostname: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(cString: buffer)
    }()

    /// Serves until SIGINT or SIGTERM, then finishes in-flight requests and returns.
    public func runUntilSignalled() async throws {
        try await ServiceGroup(configuration: .init(services: [self], gracefulShutdownSignals: [.sigterm, .sigint], logger: frameworkLogger)).run()
    }

    /// Serves (as a service of the caller's ServiceGroup) until graceful
    /// shutdown, then finishes in-flight requests and returns.
    public func run() async throws {
        let scheme = configuration.tls == nil ? "http" : "https"
        let applications = makeApplications { [logger] role, address in
            logger.notice(role == .main ? "Doorman HTTP server listening on \(scheme)://\(address)" : "Doorman metrics on \(scheme)://\(address)/metrics")
        }
        warnAboutExposure()
        try await ServiceGroup(configuration: .init(services: applications, logger: frameworkLogger)).run()
    }

    /// Starts serving on a background task and returns once the socket is
    /// bound; ``RunningHTTPServer/stop()`` shuts it down.
    public func start() async throws -> RunningHTTPServer {
        let (addresses, continuation) = AsyncStream.makeStream(of: String.self)
        let applications = makeApplications { role, address in
            guard role == .main else { return }
            continuation.yield(address)
            continuation.finish()
        }
        // A service group of its own, with no signal handlers (the host owns
        // the signals), so that stop() can shut down gracefully.
        let group = ServiceGroup(configuration: .init(services: applications, gracefulShutdownSignals: [], logger: frameworkLogger))
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

    enum ListenerRole { case main, metrics }

    /// The main application, and the metrics listener when it has one of its own.
    func makeApplications(onRunning: @escaping @Sendable (ListenerRole, String) -> Void) -> [any Service] {
        var applications: [any Service] = [makeApplication(host: configuration.host, port: configuration.port, role: .main, onRunning: onRunning)]
        if let metricsAddress = configuration.metricsAddress {
            applications.append(makeApplication(host: metricsAddress.host, port: metricsAddress.port, role: .metrics, onRunning: onRunning))
        }
        return applications
    }

    /// The paths the main listener serves (for HEAD and 405).
    static let paths: Set<String> = ["/", "/products", "/fleet", "/healthz", "/metrics", "/openapi.json"]

    private func makeApplication(host: String, port: Int, role: ListenerRole,
                                 onRunning: @escaping @Sendable (ListenerRole, String) -> Void) -> some ApplicationProtocol {
        let router = Router(context: DoormanRequestContext.self)
        router.add(middleware: InstanceHeaderMiddleware(server: self))
        router.add(middleware: ResponseMetricsMiddleware(metrics: metrics))
        let handlers = Handlers(server: self)
        switch role {
        case .main:
            let admin = !configuration.adminUsers.isEmpty
            router.add(middleware: ConformanceMiddleware(knownPaths: admin ? Self.paths.union(AdminAPI.paths) : Self.paths,
                                                         deletePrefixes: admin ? AdminAPI.deletePrefixes : []))
            var authenticator = BasicAuthenticator(auth: auth, retryAfterSeconds: configuration.retryAfterSeconds, trustedProxies: configuration.trustedProxies)
            if admin && auth.hasCache {
                authenticator.withoutCache = auth.withoutCache()
                authenticator.admins = Set(configuration.adminUsers.map(PRECIS.prepareUsername))
            }
            let authenticated = router.group().add(middleware: authenticator)
            for path in ["/", "/products"] {
                for method in [HTTPRequest.Method.get, .head] { authenticated.on(RouterPath(path), method: method, use: handlers.products) }
            }
            for method in [HTTPRequest.Method.get, .head] { authenticated.on("/fleet", method: method, use: handlers.fleet) }
            for method in [HTTPRequest.Method.get, .head] { router.on("/healthz", method: method, use: handlers.health) }
            let document = ByteBuffer(string: OpenAPIDocument.json(admin: !configuration.adminUsers.isEmpty))
            for method in [HTTPRequest.Method.get, .head] {
                router.on("/openapi.json", method: method) { _, _ in
                    Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: document))
                }
            }
            if !configuration.adminUsers.isEmpty {
                AdminAPI(server: self, admins: configuration.adminUsers).register(on: authenticated)
            }
            let access = configuration.metricsOnMainListener
            if access != .hidden {
                for method in [HTTPRequest.Method.get, .head] {
                    router.on("/metrics", method: method) { request, context in await handlers.metrics(request, context: context, access: access) }
                }
            }
        case .metrics:
            router.add(middleware: ConformanceMiddleware(knownPaths: ["/metrics"]))
            let access: MetricsAccess = configuration.metricsToken.map { .token($0) } ?? .open
            for method in [HTTPRequest.Method.get, .head] {
                router.on("/metrics", method: method) { request, context in await handlers.metrics(request, context: context, access: access) }
            }
        }
        let idleTimeout = TimeAmount.nanoseconds(Int64(configuration.idleTimeout.components.seconds) * 1_000_000_000
            + configuration.idleTimeout.components.attoseconds / 1_000_000_000)
        let limits = {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = configuration.maxHeaderBytes
            limits.maxHeaderListSize = configuration.maxHeaderBytes
            limits.maxHeaderFieldCount = 100
            return limits
        }()
        let tls = configuration.tls?.configuration
        return Application(
            router: router,
            server: HTTPServerBuilder { responder in
                let http1 = ConformingHTTP1Channel(responder: responder, idleTimeout: idleTimeout, decoderLimits: limits)
                guard let tls else { return http1 }
                return try TLSChannel(http1, tlsConfiguration: tls)
            },
            configuration: .init(address: .hostname(host, port: port), serverName: "Doorman"),
            onServerRunning: { channel in
                let address = channel.localAddress.map { address in
                    let host = address.ipAddress ?? "?"
                    return "\(host.contains(":") ? "[\(host)]" : host):\(address.port ?? 0)"
                } ?? "?"
                if role == .main, let port = channel.localAddress?.port { self.boundMainListener(port: port) }
                onRunning(role, address)
            },
            logger: frameworkLogger
        )
    }

    /// One warning for each way the configuration exposes more than it should.
    private func warnAboutExposure() {
        if !HTTPServerConfiguration.isLoopback(configuration.host) {
            if configuration.tls == nil {
                logger.warning("serving plain HTTP on a non-loopback address: Basic credentials travel in clear; use --tls-cert/--tls-key or a TLS proxy",
                               metadata: ["host": "\(configuration.host)"])
            }
            if configuration.metricsOnMainListener == .hidden && configuration.metricsAddress == nil {
                logger.notice("/metrics is not served on a non-loopback address without --metrics-token or --metrics-address")
            }
        }
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
