import DoormanAuth
import DoormanHTTP
import DoormanCore
import DoormanPasswords
import DoormanPostgres
import DoormanRedis
import DoormanRuntime
import DoormanStack
import Foundation
import Logging
import NIOPosix
import Synchronization

/// The real PostgreSQL and Redis the integration tests run against, started
/// through the same `EmbeddedStack` code Doorman uses, under a temporary
/// directory, and stopped when the test process exits.
enum TestServers {
    /// The checkout's top level (tests find `sql/` and the built binary from it).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Doorman's migrations from the checkout's `sql/`.
    static let migrations: [Migration] = {
        do {
            return try Migration.load(from: packageRoot.appendingPathComponent("sql"))
        } catch {
            fatalError("cannot read sql/: \(error)")
        }
    }()

    /// The stack shared by most tests. Tests keep out of each other's way by
    /// using their own users or their own Redis key prefix. It also listens on
    /// loopback TCP (without TLS), for tests that need a server without TLS.
    static let shared: EmbeddedStack = {
        let stack = startBlocking(name: "shared", tcp: true)
        sharedForExit = stack
        atexit {
            if let stack = sharedForExit { TestServers.stop(stack) }
        }
        return stack
    }()

    /// Stops a stack and removes its directory.
    static func stop(_ stack: EmbeddedStack) {
        stack.detach()
        try? FileManager.default.removeItem(atPath: stack.configuration.stateDirectory)
    }

    /// Starts a stack of its own, for tests that stop or break a server, on a
    /// thread of its own: initdb and the servers' start take seconds, and a
    /// test that blocked a thread of Swift's cooperative pool (two here) for
    /// that long would stall every other test's awaits and skew their timings.
    /// The caller detaches it.
    static func start(name: String, tcp: Bool = false, tls: StackTLS? = nil) async -> EmbeddedStack {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: startBlocking(name: name, tcp: tcp, tls: tls)) }
        }
    }

    /// ``start(name:tcp:tls:)`` on the caller's thread, for static initialisers.
    static func startBlocking(name: String, tcp: Bool = false, tls: StackTLS? = nil) -> EmbeddedStack {
        let directory = makeTemporaryDirectory(prefix: "doorman-test-\(name)")
        let configuration = StackConfiguration(stateDirectory: directory, durable: false, listenOnTCP: tcp, timeout: .seconds(60), tls: tls)
        do {
            return try EmbeddedStack.attach(configuration, migrations: migrations, logger: quietLogger)
        } catch {
            fatalError("cannot start test servers under \(directory): \(error)")
        }
    }

    /// Tests log only errors: expected failures would drown the test output.
    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return logger
    }

    /// A private service on `stack`: its own Redis key prefix, so that what it
    /// caches is invisible to every other test.
    static func service(
        on stack: EmbeddedStack = shared, ttl: Duration = .seconds(300), redisTimeout: Duration = .seconds(2),
        throttle: ThrottlePolicy = ThrottlePolicy(), memoryCache: MemoryCredentialCache.Configuration? = nil,
        namespace: String = "doorman-test-\(UUID().uuidString.prefix(8))", postgres: PostgresGateway? = nil,
        redisBackoff: (first: Duration, max: Duration) = (.milliseconds(50), .milliseconds(200)),
        bcryptCost: Int = 10, rehash: Bool = false
    ) throws -> TestService {
        let postgres = try postgres ?? PostgresGateway(configuration: PostgresConfiguration.test(connectionString: stack.databaseURL, poolSize: 2), logger: quietLogger)
        let redis = try RedisGateway(configuration: RedisConfiguration(
            endpoint: try RedisEndpoint(url: stack.redisURL),
            commandTimeout: redisTimeout,
            cacheTTL: ttl,
            namespace: namespace,
            retryBackoff: redisBackoff.first,
            maxRetryBackoff: redisBackoff.max), logger: quietLogger)
        let auth = AuthService(postgres: postgres, redis: redis, configuration: .init(cacheTTL: ttl, throttle: throttle, memoryCache: memoryCache,
                                                                              bcryptCost: bcryptCost, rehash: rehash),
                               logger: quietLogger)
        return TestService(auth: auth, postgres: postgres, redis: redis)
    }

    /// A service like ``service(on:ttl:redisTimeout:throttle:memoryCache:namespace:postgres:)``
    /// that also listens for user changes, as `doorman serve` does. Stop the
    /// listener when done.
    static func listeningService(on stack: EmbeddedStack = shared, namespace: String) async throws -> (TestService, Listening) {
        let service = try self.service(on: stack, namespace: namespace)
        return (service, try await listen(service))
    }

    /// Starts listening for `service`'s user changes, after catching up.
    static func listen(_ service: TestService) async throws -> Listening {
        let invalidator = CacheInvalidator(auth: service.auth, postgres: service.postgres, logger: quietLogger)
        try await service.auth.prepare()
        try await invalidator.catchUp()
        let listener = NotificationListener(configuration: service.postgres.configuration, channels: [CacheInvalidator.channel], logger: quietLogger) { event in
            await invalidator.handle(event)
        }
        listener.start()
        return Listening(invalidator: invalidator, listener: listener)
    }

    /// A running listener and the invalidator it feeds.
    struct Listening {
        let invalidator: CacheInvalidator
        let listener: NotificationListener
        var changesApplied: Int { invalidator.changesApplied }
        func stop() { let listener = listener; Task { await listener.stop() } }
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    static func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// Adds a user with a unique name and a cheap (cost 4) hash; returns the name.
    static func makeUser(password: String, on stack: EmbeddedStack = shared, prefix: String = "user") async throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.prefix(12).lowercased())"
        let postgres = try PostgresGateway(configuration: PostgresConfiguration.test(connectionString: stack.databaseURL, poolSize: 1))
        try await postgres.addUser(name, passwordHash: try BCrypt.hash(password, cost: 4))
        return name
    }

    static func makeTemporaryDirectory(prefix: String) -> String {
        // /tmp, not the home directory: as root, PostgreSQL runs as `postgres`,
        // which cannot enter /root.
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed") }
        return String(cString: made)
    }
}

nonisolated(unsafe) private var sharedForExit: EmbeddedStack?

/// A login service on a test stack, with the gateways behind its stages, so
/// that tests can look at what the stages did.
struct TestService: Sendable {
    let auth: AuthService
    let postgres: PostgresGateway
    let redis: RedisGateway?

    func authenticate(username: String, password: String, origin: AuthOrigin, client: ClientIdentity = .local) async -> AuthOutcome {
        await auth.authenticate(username: username, password: password, origin: origin, client: client)
    }

    var statistics: AuthStatistics { auth.statistics }
    var freshness: CacheFreshness { auth.freshness }
    var memoryCache: MemoryCredentialCache? { auth.memoryCache }

    @discardableResult
    func flushCache(for username: String) async throws -> Bool { try await auth.flushCache(for: username) }
    @discardableResult
    func flushCache() async throws -> Int { try await auth.flushCache() }
    @discardableResult
    func unlock(_ username: String) async throws -> Int { try await auth.unlock(username) }

    /// The HTTP server over this service, as `doorman serve` makes it.
    func httpServer(_ configuration: HTTPServerConfiguration = HTTPServerConfiguration(port: 0), catalog: ProductCatalog? = nil) -> DoormanHTTPServer {
        let postgres = postgres, redis = redis
        var health = [HealthCheck(name: "postgres", health: postgres.health) { deadline in try await postgres.ping(deadline: deadline) }]
        if let redis {
            health.append(HealthCheck(name: "redis", health: redis.health) { deadline in try await redis.ping(deadline: deadline) })
        }
        var fleet: (@Sendable () async throws -> [FleetMember])?
        if let redis { fleet = { try await redis.fleet() } }
        return DoormanHTTPServer(configuration: configuration, auth: auth, catalog: catalog ?? ProductCatalog { try await postgres.products() },
                                 health: health, fleet: fleet, logger: TestServers.quietLogger)
    }
}

/// Runs blocking work (starting or stopping servers: `initdb`, `pg_ctl -w`;
/// a subprocess) on a thread of its own, so that it never holds one of the
/// cooperative pool's two threads while other tests' calls wait for their deadlines.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}

extension EmbeddedStack {
    /// Stops PostgreSQL off the cooperative pool.
    func stopPostgres() async throws {
        try await offThePool { try self.stopPostgres() as Void }
    }

    /// Starts PostgreSQL off the cooperative pool.
    func startPostgres() async throws {
        try await offThePool { try self.startPostgres() as Void }
    }

    /// Stops Redis off the cooperative pool.
    func stopRedis() async throws {
        try await offThePool { try self.stopRedis() as Void }
    }

    /// Starts Redis off the cooperative pool.
    func startRedis() async throws {
        try await offThePool { try self.startRedis() as Void }
    }
}

extension PostgresConfiguration {
    /// A configuration for tests that are not about deadlines. The test
    /// process runs every suite at once on two cooperative threads, and some
    /// suites still start stacks synchronously in `static let`s (seconds of
    /// initdb and pg_ctl on a pool thread): a 2 s deadline would measure that
    /// starvation, not PostgreSQL. Tests about deadlines set their own.
    static func test(connectionString: String?, poolSize: Int = 4) -> PostgresConfiguration {
        PostgresConfiguration(connectionString: connectionString, poolSize: poolSize, connectTimeout: 30, queryTimeout: .seconds(120))
    }
}

/// Waits for async work from a thread that is not one of the cooperative
/// pool's (inside ``offThePool(_:)``, a tmux script), blocking only that thread.
func waitOffThePool<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<Result<T, any Error>?>(nil)
    Task {
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        result.withLock { $0 = outcome }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}
