import DoormanCore
import DoormanPostgres
import DoormanRedis
import Foundation

/// The cache-aside store: one signed ``CacheEntry`` per user in Redis, under
/// `<namespace>:auth:<username>`, with Redis' own TTL and a signed expiry.
/// Entries are refused when forged, expired, or older than a password change
/// this process knows of (``CacheFreshness``).
public final class SignedRedisCache: CredentialCache {
    /// How long an entry lives.
    public let ttl: Duration
    let redis: RedisGateway
    let signingKey: CacheSigningKey
    let freshness: CacheFreshness

    /// A cache in `redis`, signed with `signingKey`, refusing what `freshness` says is stale.
    public init(redis: RedisGateway, signingKey: CacheSigningKey, freshness: CacheFreshness, ttl: Duration) {
        self.redis = redis
        self.signingKey = signingKey
        self.freshness = freshness
        self.ttl = ttl
    }

    public func prepare() async throws {
        try await signingKey.load()
    }

    public func lookup(_ username: String) async -> CacheLookup {
        await startLookup(username).result()
    }

    public func startLookup(_ username: String) async -> StartedCacheLookup {
        let pending = await redis.startCachedValue(for: username)
        return StartedCacheLookup { [redis, signingKey, freshness] in
            let text: String?
            do {
                text = try await redis.cachedValue(from: pending)
            } catch {
                return .unavailable
            }
            guard let text else { return .miss }
            guard let key = await signingKey.value() else { return .unavailable }
            guard let entry = CacheEntry.decode(text, for: username, key: key, now: Self.unixNow()),
                  freshness.accepts(entry.version, for: username) else { return .refused }
            return .hit(entry)
        }
    }

    /// Writes a signed entry, unless a newer password is already known; and
    /// takes it back if a change arrives while it is being written (a change
    /// notification's own eviction may have run just before the write).
    public func fill(_ record: PasswordRecord, for username: String) async -> Bool {
        guard freshness.accepts(record.version, for: username) else { return true }  // a newer password is known
        guard let key = await signingKey.value() else { return false }
        let value = CacheEntry(record: record, ttl: ttl, now: Self.unixNow()).encoded(for: username, key: key)
        do {
            try await redis.cacheValue(value, for: username, ttl: ttl)
            if !freshness.accepts(record.version, for: username) { try await redis.evict(username) }
            return true
        } catch {
            return false
        }
    }

    public func evict(_ username: String) async throws -> Bool {
        try await redis.evict(username)
    }

    public func evict(_ username: String, ifOlderThan version: Int64) async throws {
        if let value = try await redis.cachedValue(for: username), (CacheEntry.version(of: value) ?? 0) < version {
            try await redis.evict(username)
        }
    }

    public func evictAll() async throws -> Int {
        try await redis.evictAll()
    }

    static func unixNow() -> Int64 {
        Int64(Date().timeIntervalSince1970)
    }
}
