import DoormanCore
import DoormanRedis
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Publishes this instance's live counts to Redis every second, for the fleet
/// view (`doorman fleet`, `GET /fleet`, the UI's fleet page): the hash
/// `<namespace>:fleet:<instance>` with a time to live of a few periods, so an
/// instance that dies drops out of the list within seconds.
///
/// A ServiceLifecycle `Service` in `doorman serve`'s group (after the Redis
/// gateway, so that it stops first and withdraws its hash). Publishing goes
/// through the gateway's non-blocking connections with the Redis deadline; a
/// failure is counted and logged once per outage, and never touches a login.
public final class FleetPublisher: Service, Sendable {
    /// How often it publishes, and how long a hash lives.
    public struct Configuration: Sendable {
        /// Time between two publications (1 s).
        public var period: Duration
        /// The hash's time to live (5 s: a dead instance is gone within that).
        public var ttl: Duration
        /// The Doorman version it reports.
        public var version: String

        /// Creates a configuration.
        public init(period: Duration = .seconds(1), ttl: Duration = .seconds(5), version: String) {
            self.period = period
            self.ttl = ttl
            self.version = version
        }
    }

    /// How it is configured.
    public let configuration: Configuration
    private let redis: RedisGateway
    private let statistics: AuthStatistics
    private let instanceName: @Sendable () -> String
    private let startedAt = Date()
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var published = 0
        var failures = 0
        var failing = false
    }

    /// Creates a publisher of `statistics` under the name `instanceName`
    /// returns (asked at every publication: the default name is known only
    /// once the server has bound its port).
    public init(redis: RedisGateway, statistics: AuthStatistics, configuration: Configuration,
                logger: Logger = Logger(label: "doorman.fleet"), instanceName: @escaping @Sendable () -> String) {
        self.redis = redis
        self.statistics = statistics
        self.configuration = configuration
        self.logger = logger
        self.instanceName = instanceName
    }

    /// Publications that reached Redis.
    public var published: Int { state.withLock { $0.published } }
    /// Publications that failed.
    public var failures: Int { state.withLock { $0.failures } }

    /// What it publishes now.
    public func member(now: Date = Date()) -> FleetMember {
        FleetMember(instance: instanceName(), statistics: statistics.snapshot(), startedAt: startedAt, now: now,
                    version: configuration.version)
    }

    /// Publishes once; never throws (failures are counted and logged once per outage).
    public func publishOnce() async {
        do {
            try await redis.publish(member(), ttl: configuration.ttl)
            let recovered = state.withLock { state in
                defer { state.published += 1; state.failing = false }
                return state.failing
            }
            if recovered { logger.info("publishing to the fleet view again") }
        } catch {
            let first = state.withLock { state in
                defer { state.failures += 1; state.failing = true }
                return !state.failing
            }
            if first {
                logger.warning("cannot publish to the fleet view; logins are not affected, retrying every period",
                               metadata: ["reason": "\((error as? DoormanError)?.message ?? "\(type(of: error))")"])
            }
        }
    }

    /// Publishes every period until graceful shutdown, then withdraws the hash.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await publishOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.configuration.period) }
        }
        // Best effort: a clean stop leaves the list at once; otherwise the TTL does it.
        try? await redis.withdraw(instance: instanceName())
    }
}
