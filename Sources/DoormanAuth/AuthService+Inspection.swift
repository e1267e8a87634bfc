import DoormanCore
import DoormanPostgres
import DoormanRedis

extension AuthService {
    /// The PostgreSQL gateway the logins read, when the source is PostgreSQL.
    var postgres: PostgresGateway? { (stages.source as? PostgresCredentialSource)?.postgres }

    /// Up to `limit` cached entries in Redis (`SCAN` of `doorman:auth:*` with
    /// `PTTL` and `GET`), each judged as a login would judge it: signature and
    /// expiry under the signing key, version against PostgreSQL's current
    /// one. Empty without a cache. Never returns a hash.
    public func cachedCredentials(limit: Int = 1_000) async throws -> [CachedCredential] {
        guard let cache = stages.cache as? SignedRedisCache else { return [] }
        let current = try await currentVersions()
        return try await cache.inspect(limit: limit, currentVersions: current)
    }

    /// Up to `limit` throttle counters in Redis with their counts and time
    /// left. A counter's account is named only when it is a user PostgreSQL
    /// knows (its HMAC name matches one of theirs); other names stay hidden.
    /// Empty without Redis, or while the counters stay in this process.
    public func throttleCounters(limit: Int = 1_000) async throws -> [ThrottleCounter] {
        guard let throttle = stages.throttle as? RedisLoginThrottle else { return [] }
        let users = try await currentVersions().map { Array($0.keys) } ?? []
        return try await throttle.counters(usernames: users, limit: limit)
    }

    /// Every user (up to `limit`) with their cache and lock state: for the UI's users view.
    public func userSummaries(limit: Int = 10_000) async throws -> [UserSummary] {
        guard let postgres else { return [] }
        let users = try await postgres.passwordVersions(limit: limit)
        var cached: [String: CachedCredential] = [:]
        var counters: [ThrottleCounter] = []
        if let cache = stages.cache as? SignedRedisCache {
            let versions = Dictionary(users.map { ($0.username, $0.version) }, uniquingKeysWith: { first, _ in first })
            // Redis may be down: the users are still listed, without cache state.
            if let entries = try? await cache.inspect(limit: 10_000, currentVersions: versions) {
                for entry in entries { cached[entry.username] = entry }
            }
        }
        if let throttle = stages.throttle as? RedisLoginThrottle {
            counters = (try? await throttle.counters(usernames: users.map(\.username), limit: 10_000)) ?? []
        }
        let policy = configuration.throttle
        return users.map { user in
            let mine = counters.filter { $0.username == user.username }
            let account = mine.filter { $0.kind == .account }.map(\.count).max() ?? 0
            let pair = mine.filter { $0.kind == .pair }.map(\.count).max() ?? 0
            let entry = cached[user.username]
            return UserSummary(username: user.username, version: user.version, cached: entry != nil,
                               cachedTimeToLiveMilliseconds: entry?.timeToLiveMilliseconds,
                               accountFailures: account, pairFailures: pair,
                               locked: !policy.isDisabled && (account >= policy.accountLimit || pair >= policy.pairLimit))
        }
    }

    private func currentVersions() async throws -> [String: Int64]? {
        guard let postgres else { return nil }
        let rows = try await postgres.passwordVersions()
        return Dictionary(rows.map { ($0.username, $0.version) }, uniquingKeysWith: { first, _ in first })
    }
}

extension SignedRedisCache {
    /// Every entry under the cache's prefix (up to `limit`), judged as
    /// ``lookup(_:)`` would, and against `currentVersions` when given.
    func inspect(limit: Int, currentVersions: [String: Int64]?) async throws -> [CachedCredential] {
        let prefix = Array(redis.configuration.authKeyPrefix.utf8)
        let entries = try await redis.entries(prefix: prefix, limit: limit)
        let key = await signingKey.value()
        let now = Self.unixNow()
        return entries.map { entry in
            let username = String(decoding: entry.key.dropFirst(prefix.count), as: UTF8.self)
            let text = entry.value.map { String(decoding: $0, as: UTF8.self) }
            let current = currentVersions?[username]
            let state: CachedCredential.State
            if let text, let key {
                if let decoded = CacheEntry.decode(text, for: username, key: key, now: now) {
                    if let currentVersions, currentVersions[username] == nil {
                        state = .orphaned
                    } else if decoded.version < (current ?? decoded.version) || !freshness.accepts(decoded.version, for: username) {
                        state = .stale
                    } else {
                        state = .valid
                    }
                } else {
                    state = CacheEntry.decode(text, for: username, key: key, now: .min) != nil ? .expired : .forged
                }
            } else {
                state = text == nil ? .forged : .unknown
            }
            return CachedCredential(username: username, version: text.flatMap(CacheEntry.version(of:)), currentVersion: current,
                                    timeToLiveMilliseconds: entry.timeToLive, state: state)
        }
        .sorted { $0.username < $1.username }
    }
}

extension RedisLoginThrottle {
    /// The counters in Redis (up to `limit`; the `known:` markers are not
    /// counters and are left out), named after `usernames` where their HMAC
    /// names match; the counters this process holds while Redis is away are not listed.
    func counters(usernames: [String], limit: Int) async throws -> [ThrottleCounter] {
        guard let redis else { return [] }
        let naming = await currentNaming()
        guard naming.shared else { return [] }
        var names: [String: String] = [:]
        for username in usernames { names[naming.name("user", username)] = username }
        let prefix = Array(self.prefix.utf8)
        let entries = try await redis.entries(prefix: prefix, limit: limit)
        return entries.compactMap { entry -> ThrottleCounter? in
            let parts = String(decoding: entry.key.dropFirst(prefix.count), as: UTF8.self).split(separator: ":").map(String.init)
            let count = entry.value.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
            switch (parts.first, parts.count) {
            case ("account", 2):
                return ThrottleCounter(kind: .account, username: names[parts[1]], subject: String(parts[1].prefix(8)), count: count, timeToLiveMilliseconds: entry.timeToLive)
            case ("pair", 3):
                return ThrottleCounter(kind: .pair, username: names[parts[1]], subject: String(parts[1].prefix(8)), count: count, timeToLiveMilliseconds: entry.timeToLive)
            case ("client", 2):
                return ThrottleCounter(kind: .client, username: nil, subject: String(parts[1].prefix(8)), count: count, timeToLiveMilliseconds: entry.timeToLive)
            default:
                return nil
            }
        }
        .sorted { ($0.kind.rawValue, $0.who) < ($1.kind.rawValue, $1.who) }
    }
}
