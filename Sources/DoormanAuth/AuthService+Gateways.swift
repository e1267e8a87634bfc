import DoormanCore
import DoormanPostgres
import DoormanRedis
import Logging

extension AuthService {
    /// The standard login over PostgreSQL and (unless `redis` is `nil`) Redis:
    /// ``RedisLoginThrottle``, ``SignedRedisCache`` (signed with the key in
    /// PostgreSQL), ``PostgresCredentialSource`` and bcrypt. With `replica`
    /// (a standby), password lookups read it first, safely under replication lag.
    public convenience init(
        postgres: PostgresGateway,
        redis: RedisGateway?,
        replica: PostgresGateway? = nil,
        configuration: Configuration = Configuration(),
        statistics: AuthStatistics = AuthStatistics(),
        verifier: any PasswordVerifier = BCryptVerifier.shared,
        logger: Logger = Logger(label: "doorman.auth")
    ) {
        let freshness = CacheFreshness()
        let signingKey = CacheSigningKey(postgres: postgres)
        let cache = redis.map { SignedRedisCache(redis: $0, signingKey: signingKey, freshness: freshness, ttl: configuration.cacheTTL) }
        let stages = Stages(
            throttle: RedisLoginThrottle(policy: configuration.throttle, redis: redis, signingKey: signingKey),
            cache: cache,
            source: PostgresCredentialSource(postgres: postgres, replica: replica, freshness: freshness),
            verifier: verifier)
        self.init(stages: stages, freshness: freshness, configuration: configuration, statistics: statistics, logger: logger)
    }

    /// Gets ready to log users in: reads the cache's signing key, and the cost
    /// most stored hashes have (for the dummy hash).
    public func prepare() async throws {
        try await stages.cache?.prepare()
        await refreshDummyHash()
    }
}
