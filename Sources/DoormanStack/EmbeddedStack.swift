import DoormanCore
import DoormanPostgres
import DoormanRedis
import Foundation
import Logging

/// Doorman's private PostgreSQL and Redis, run from the system's installed
/// server binaries under a state directory, for when the user configured no
/// servers of their own. The test suite starts its servers through this same
/// code.
///
/// Several Doorman processes can share one stack: each one that attaches
/// registers itself, and the last one to detach stops the servers (unless
/// `doorman stack up` pinned them). PostgreSQL listens only on a unix socket
/// in a directory only its user can enter; Redis likewise. With
/// ``StackConfiguration/listenOnTCP`` both also listen on free loopback ports;
/// with ``StackConfiguration/tls`` PostgreSQL listens on a loopback port with
/// `ssl = on` and Redis on a loopback TLS port.
///
/// When this process is root, PostgreSQL (which refuses to run as root) runs
/// as the `postgres` system user.
public final class EmbeddedStack: Sendable {
    /// The settings this stack was started with.
    public let configuration: StackConfiguration
    /// What is running, and where.
    public let endpoints: Endpoints
    let layout: Layout
    let logger: Logger

    /// Where the running servers can be reached.
    public struct Endpoints: Sendable, Equatable, Codable {
        /// The PostgreSQL port (also names the unix socket `.s.PGSQL.<port>`).
        public var postgresPort: Int
        /// The Redis TCP port, or 0 when Redis listens on its unix socket only.
        public var redisPort: Int
        /// `true` when PostgreSQL also listens on 127.0.0.1.
        public var postgresTCP: Bool
        /// The Redis TLS port on 127.0.0.1, when the stack has TLS.
        public var redisTLSPort: Int? = nil
    }

    /// Running state, for `doorman stack status`.
    public struct Status: Sendable {
        /// `true` when PostgreSQL answers.
        public var postgresRunning: Bool
        /// `true` when Redis answers.
        public var redisRunning: Bool
        /// `true` when `doorman stack up` keeps the stack running after its users exit.
        public var pinned: Bool
        /// Process ids of Doorman processes using the stack.
        public var clients: [Int32]
        /// The database URL (meaningful when running).
        public var databaseURL: String
        /// The Redis URL (meaningful when running).
        public var redisURL: String
        /// The state directory.
        public var stateDirectory: String
    }

    /// The database URL of this stack: a libpq URI over its unix socket.
    public var databaseURL: String { layout.databaseURL(endpoints) }
    /// The Redis URL of this stack: `unix://…/redis.sock`.
    public var redisURL: String { layout.redisURL }
    /// A TCP address for PostgreSQL when ``StackConfiguration/listenOnTCP`` is on.
    public var postgresTCPAddress: (host: String, port: Int)? { endpoints.postgresTCP ? ("127.0.0.1", endpoints.postgresPort) : nil }
    /// A TCP address for Redis when ``StackConfiguration/listenOnTCP`` is on.
    public var redisTCPAddress: (host: String, port: Int)? { endpoints.redisPort > 0 ? ("127.0.0.1", endpoints.redisPort) : nil }
    /// Redis' TLS address when ``StackConfiguration/tls`` is set.
    public var redisTLSAddress: (host: String, port: Int)? { endpoints.redisTLSPort.map { ("127.0.0.1", $0) } }

    private init(configuration: StackConfiguration, layout: Layout, endpoints: Endpoints, logger: Logger) {
        self.configuration = configuration
        self.layout = layout
        self.endpoints = endpoints
        self.logger = logger
    }

    /// Starts the stack if it is not running (creating the database on first
    /// use), applies `migrations` not yet applied, and registers this process
    /// as one of its users. Call ``detach()`` before exiting.
    public static func attach(_ configuration: StackConfiguration, migrations: [Migration], logger: Logger = Logger(label: "doorman.stack")) throws -> EmbeddedStack {
        let layout = try Layout(configuration)
        return try layout.withLock {
            let stack = try start(configuration, layout: layout, migrations: migrations, logger: logger)
            try layout.registerClient(getpid())
            return stack
        }
    }

    /// Starts the stack and pins it: it keeps running until ``down(_:)``.
    public static func up(_ configuration: StackConfiguration, migrations: [Migration], logger: Logger = Logger(label: "doorman.stack")) throws -> EmbeddedStack {
        let layout = try Layout(configuration)
        return try layout.withLock {
            let stack = try start(configuration, layout: layout, migrations: migrations, logger: logger)
            try layout.setPinned(true)
            return stack
        }
    }

    /// Stops both servers whoever started them, and unpins the stack.
    /// Returns the clients that were still attached.
    @discardableResult
    public static func down(_ configuration: StackConfiguration, logger: Logger = Logger(label: "doorman.stack")) throws -> [Int32] {
        let layout = try Layout(configuration, create: false)
        return try layout.withLock {
            let clients = layout.liveClients()
            try layout.setPinned(false)
            try stopServers(configuration, layout: layout, logger: logger)
            layout.clearClients()
            return clients
        }
    }

    /// What is running under the state directory.
    public static func status(_ configuration: StackConfiguration) -> Status {
        guard let layout = try? Layout(configuration, create: false) else {
            return Status(postgresRunning: false, redisRunning: false, pinned: false, clients: [], databaseURL: "", redisURL: "", stateDirectory: configuration.stateDirectory)
        }
        let endpoints = layout.savedEndpoints() ?? Endpoints(postgresPort: Layout.defaultPostgresPort, redisPort: 0, postgresTCP: false)
        return Status(
            postgresRunning: PostgresServer(configuration: configuration, layout: layout).isRunning(endpoints),
            redisRunning: RedisServer(configuration: configuration, layout: layout).isRunning(),
            pinned: layout.isPinned,
            clients: layout.liveClients(),
            databaseURL: layout.databaseURL(endpoints),
            redisURL: layout.redisURL,
            stateDirectory: layout.root
        )
    }

    /// Unregisters this process; the last user of an unpinned stack stops it.
    public func detach() {
        do {
            try layout.withLock {
                layout.unregisterClient(getpid())
                if layout.liveClients().isEmpty && !layout.isPinned {
                    try Self.stopServers(configuration, layout: layout, logger: logger)
                }
            }
        } catch {
            logger.warning("could not stop the embedded stack cleanly", metadata: ["reason": "\(error)"])
        }
    }

    /// Stops Redis (for fault tests). ``startRedis()`` brings it back on the same socket.
    public func stopRedis() throws {
        try RedisServer(configuration: configuration, layout: layout).stop()
    }

    /// Kills Redis with SIGKILL, as a crash would (for fault tests): nothing
    /// is saved. ``startRedis()`` brings it back.
    public func killRedis() throws {
        try RedisServer(configuration: configuration, layout: layout).crash()
    }

    /// Starts Redis again after ``stopRedis()``.
    public func startRedis() throws {
        try RedisServer(configuration: configuration, layout: layout).start(port: endpoints.redisPort, tlsPort: endpoints.redisTLSPort)
    }

    /// The running PostgreSQL's processes: the postmaster (first) and its
    /// children, from `postmaster.pid` and `/proc`. Empty when it is not running.
    /// Fault tests freeze them all with SIGSTOP, as a hung host looks from outside.
    public func postgresProcessIDs() -> [Int32] {
        guard let text = try? String(contentsOfFile: layout.postgresData + "/postmaster.pid", encoding: .utf8),
              let postmaster = text.split(separator: "\n").first.flatMap({ Int32($0) }), processIsAlive(postmaster) else { return [] }
        let children = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name -> Int32? in
            guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // "pid (comm) state ppid ...": the command may hold spaces and parentheses.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == postmaster ? pid : nil
        }
        return [postmaster] + children.sorted()
    }

    /// The running Redis' process id, from its pid file; `nil` when it is not running.
    public func redisProcessID() -> Int32? {
        guard let text = try? String(contentsOfFile: layout.redisPidFile, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), processIsAlive(pid) else { return nil }
        return pid
    }

    /// Stops PostgreSQL (for fault tests). ``startPostgres()`` brings it back.
    public func stopPostgres() throws {
        try PostgresServer(configuration: configuration, layout: layout).stop()
    }

    /// Starts PostgreSQL again after ``stopPostgres()``.
    public func startPostgres() throws {
        try PostgresServer(configuration: configuration, layout: layout).start(endpoints)
    }

    private static func start(_ configuration: StackConfiguration, layout: Layout, migrations: [Migration], logger: Logger) throws -> EmbeddedStack {
        let postgres = PostgresServer(configuration: configuration, layout: layout)
        let redis = RedisServer(configuration: configuration, layout: layout)
        var endpoints = layout.savedEndpoints() ?? Endpoints(postgresPort: Layout.defaultPostgresPort, redisPort: 0, postgresTCP: false)

        if !postgres.isRunning(endpoints) {
            // TLS needs TCP: PostgreSQL never uses it on its unix socket.
            endpoints.postgresTCP = configuration.listenOnTCP || configuration.tls != nil
            endpoints.postgresPort = endpoints.postgresTCP ? try freeLoopbackPort() : Layout.defaultPostgresPort
            let clock = ContinuousClock()
            let elapsed = try clock.measure { try postgres.start(endpoints) }
            logger.info("started embedded PostgreSQL", metadata: ["seconds": "\(elapsed.seconds)", "socket_dir": "\(layout.postgresRun)"])
        }
        if !redis.isRunning() {
            endpoints.redisPort = configuration.listenOnTCP ? try freeLoopbackPort() : 0
            endpoints.redisTLSPort = configuration.tls != nil ? try freeLoopbackPort() : nil
            try redis.start(port: endpoints.redisPort, tlsPort: endpoints.redisTLSPort)
            logger.info("started embedded Redis", metadata: ["socket": "\(layout.redisSocket)"])
        }
        try layout.saveEndpoints(endpoints)
        try postgres.createDatabaseIfNeeded(endpoints)

        let stack = EmbeddedStack(configuration: configuration, layout: layout, endpoints: endpoints, logger: logger)
        if !migrations.isEmpty {
            let gateway = try PostgresGateway(configuration: PostgresConfiguration(connectionString: stack.databaseURL, poolSize: 1), logger: logger)
            let report = try runToCompletionOnThreadOfItsOwn { try await gateway.migrate(migrations) }
            gateway.closeIdleConnections()
            if !report.applied.isEmpty {
                logger.info("applied SQL migrations", metadata: ["files": "\(report.applied.joined(separator: ", "))"])
            }
        }
        return stack
    }

    private static func stopServers(_ configuration: StackConfiguration, layout: Layout, logger: Logger) throws {
        var failures: [String] = []
        do { try RedisServer(configuration: configuration, layout: layout).stop() } catch { failures.append("\(error)") }
        do { try PostgresServer(configuration: configuration, layout: layout).stop() } catch { failures.append("\(error)") }
        guard failures.isEmpty else { throw DoormanError(.stack, failures.joined(separator: "; ")) }
        logger.info("stopped the embedded stack")
    }

    /// A loopback TCP port that is free right now (the kernel picks it).
    static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw DoormanError(.stack, "cannot open a socket to find a free port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw DoormanError(.stack, "cannot bind a loopback socket to find a free port") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
