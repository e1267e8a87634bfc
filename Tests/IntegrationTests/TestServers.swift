import DoormanAuth
import DoormanCore
import DoormanPasswords
import DoormanPostgres
import DoormanRedis
import DoormanRuntime
import DoormanStack
import Foundation
import Logging

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
        let stack = start(name: "shared", tcp: true)
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

    /// Starts a stack of its own, for tests that stop or break a server.
    /// The caller detaches it.
    static func start(name: String, tcp: Bool = false, tls: StackTLS? = nil) -> EmbeddedStack {
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
        on stack: EmbeddedStack = shared, ttl: Duration = .seconds(300), redisTimeout: Duration = .milliseconds(500),
        throttle: ThrottlePolicy = ThrottlePolicy(), namespace: String = "doorman-test-\(UUID().uuidString.prefix(8))"
    ) throws -> AuthService {
        let postgres = try PostgresGateway(configuration: PostgresConfiguration(connectionString: stack.databaseURL, poolSize: 2), logger: quietLogger)
        let redis = try RedisGateway(configuration: RedisConfiguration(
            endpoint: try RedisEndpoint(url: stack.redisURL),
            commandTimeout: redisTimeout,
            cacheTTL: ttl,
            namespace: namespace,
            retryBackoff: .milliseconds(50),
            maxRetryBackoff: .milliseconds(200)), logger: quietLogger)
        return AuthService(postgres: postgres, redis: redis, configuration: .init(cacheTTL: ttl, throttle: throttle), logger: quietLogger)
    }

    /// A service like ``service(on:ttl:redisTimeout:throttle:namespace:)``
    /// that also listens for user changes, as `doorman serve` does. Stop the
    /// invalidator when done.
    static func listeningService(on stack: EmbeddedStack = shared, namespace: String) throws -> (AuthService, Listening) {
        let service = try self.service(on: stack, namespace: namespace)
        let invalidator = CacheInvalidator(auth: service, logger: quietLogger)
        try service.prepare()
        try invalidator.catchUp()
        let listener = PostgresListener(configuration: service.postgres.configuration, channels: [CacheInvalidator.channel], logger: quietLogger) {
            invalidator.handle($0)
        }
        listener.start()
        return (service, Listening(invalidator: invalidator, listener: listener))
    }

    /// A running listener and the invalidator it feeds.
    struct Listening {
        let invalidator: CacheInvalidator
        let listener: PostgresListener
        var changesApplied: Int { invalidator.changesApplied }
        func stop() { listener.stop() }
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    static func eventually(timeout: Duration = .seconds(20), _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return try condition()
    }

    /// Adds a user with a unique name and a cheap (cost 4) hash; returns the name.
    static func makeUser(password: String, on stack: EmbeddedStack = shared, prefix: String = "user") throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.prefix(12).lowercased())"
        let postgres = try PostgresGateway(configuration: PostgresConfiguration(connectionString: stack.databaseURL, poolSize: 1))
        try postgres.addUser(name, passwordHash: try BCrypt.hash(password, cost: 4))
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
