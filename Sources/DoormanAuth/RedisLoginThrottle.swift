import DoormanCore
import DoormanRedis
import Logging
import Synchronization

/// Throttling with counters in Redis, shared by every process that uses it,
/// that never fails open. See ``ThrottlePolicy``.
///
/// - A failure Redis cannot record (down, paused, READONLY, out of memory,
///   late) is counted in this process, and a check takes the stricter of
///   Redis' count and this process' count, so no guess gets through that the
///   limits would refuse.
/// - Those failures are merged into Redis once it takes writes again (its
///   counter raised to this process' count, never lowered), and then left to Redis.
/// - Counter names hold neither the typed username nor the client: see
///   ``ThrottleKeys``. Until the naming key can be read from PostgreSQL the
///   counters stay in this process.
public final class RedisLoginThrottle: LoginThrottle {
    /// The limits.
    public let policy: ThrottlePolicy
    let redis: RedisGateway?
    private let signingKey: CacheSigningKey?
    let prefix: String
    private let local = LocalThrottleCounters()
    private let naming = Mutex<ThrottleNaming?>(nil)
    /// Counters Redis missed: their keys and windows, to merge when it is back.
    private let unmerged = Mutex<[[UInt8]: Duration]>([:])
    /// Subjects that logged in with every counter clear in Redis, and until
    /// when that reading may stand in for another (see ``isRecentlyClear(_:)``).
    /// Only users who exist and logged in: never a typed unknown name.
    private let clear = Mutex<[ThrottleSubject: ContinuousClock.Instant]>([:])
    /// How long a clear reading stands in for Redis on the in-memory tier.
    static let clearReadingLifetime: Duration = .seconds(1)

    public func isRecentlyClear(_ subject: ThrottleSubject) -> Bool {
        guard let until = clear.withLock({ $0[subject] }) else { return false }
        return ContinuousClock.now < until
    }

    /// Counters in `redis` under its throttle prefix, named with a key derived
    /// from `signingKey`; in this process only when either is `nil`.
    public init(policy: ThrottlePolicy, redis: RedisGateway?, signingKey: CacheSigningKey?) {
        self.policy = policy
        self.redis = redis
        self.signingKey = signingKey
        self.prefix = redis?.configuration.throttleKeyPrefix ?? "doorman:throttle:"
    }

    /// The names to count under, and whether they may go to Redis.
    func currentNaming() async -> ThrottleNaming {
        if let known = naming.withLock({ $0 }) { return known }
        guard redis != nil, let signingKey, let key = await signingKey.value() else { return .local }
        let shared = ThrottleNaming(signingKey: key)
        naming.withLock { $0 = shared }
        return shared
    }

    private func keys(_ subject: ThrottleSubject) async -> (ThrottleKeys, shared: Bool) {
        let naming = await currentNaming()
        return (ThrottleKeys(username: subject.username, client: subject.client, prefix: prefix, naming: naming), naming.shared)
    }

    public func check(_ subject: ThrottleSubject) async -> ThrottleCheck {
        guard !policy.isDisabled else { return .allowed }
        let (keys, shared) = await keys(subject)
        var check = ThrottleCheck(counts: local.counts(keys))
        var fromRedis = false
        if let redis, shared {
            do {
                // On the connection the login's cache read took (it shares the round trip).
                let stored = Self.counts(from: try await redis.values(for: keys.all, affinity: subject.username))
                check.counts = check.counts.stricter(stored)
                fromRedis = true
                await mergeUnrecorded(into: redis)
            } catch {
                check.storeUnavailable = true
            }
        } else if redis != nil {
            check.storeUnavailable = true
        }
        if let limit = policy.exceeded(check.counts) {
            let key = keys.key(limit)
            var left = local.timeLeft(key)
            if let redis, fromRedis, let stored = try? await redis.timeLeft(key) { left = max(left ?? .zero, stored) }
            check.retryAfter = left ?? policy.window(limit)
        }
        return check
    }

    public func recordFailure(_ subject: ThrottleSubject, after check: ThrottleCheck) async {
        guard !policy.isDisabled else { return }
        _ = clear.withLock { $0.removeValue(forKey: subject) }
        let (keys, shared) = await keys(subject)
        let windows = [(keys.pair, policy.pairWindow), (keys.client, policy.clientWindow), (keys.account, policy.accountWindow)]
        if let redis, shared, !check.storeUnavailable {
            do {
                for (key, window) in windows { try await redis.increment(key, window: window) }
                return
            } catch {
                // Down, READONLY, out of memory or late: counted here, merged later.
            }
        }
        for (key, window) in windows { local.increment(key, window: window) }
        guard redis != nil, shared else { return }
        unmerged.withLock { unmerged in
            for (key, window) in windows { unmerged[key] = window }
        }
    }

    /// Raises Redis' counters to this process' counts for the failures Redis
    /// could not record; the stricter count wins.
    private func mergeUnrecorded(into redis: RedisGateway) async {
        let pending = unmerged.withLock { unmerged in
            defer { unmerged.removeAll() }
            return unmerged
        }
        guard !pending.isEmpty else { return }
        let keys = Array(pending.keys)
        do {
            let stored = try await redis.values(for: keys)
            for (key, value) in zip(keys, stored) {
                let have = value.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
                let want = local.count(key)
                for _ in have..<max(have, want) { try await redis.increment(key, window: pending[key]!) }
                local.remove(key)  // Redis holds it now (and `user unlock` can clear it there)
            }
        } catch {
            unmerged.withLock { unmerged in unmerged.merge(pending) { current, _ in current } }
        }
    }

    public func recordSuccess(_ subject: ThrottleSubject, after check: ThrottleCheck) async {
        if !policy.isDisabled, redis != nil, !check.storeUnavailable, check.counts.pair == 0, check.counts.known {
            let until = ContinuousClock.now + Self.clearReadingLifetime
            clear.withLock { clear in
                if clear.count > 100_000 { clear = clear.filter { $0.value > .now } }
                clear[subject] = until
            }
        }
        guard !policy.isDisabled, check.counts.pair > 0 || !check.counts.known else { return }
        let (keys, shared) = await keys(subject)
        let knownLifetime = policy.knownClientLifetime
        local.remove(keys.pair)
        local.set(keys.known, lifetime: knownLifetime)
        unmerged.withLock { _ = $0.removeValue(forKey: keys.pair) }
        guard let redis, shared, !check.storeUnavailable else { return }
        if check.counts.pair > 0 { _ = try? await redis.delete([keys.pair]) }
        if !check.counts.known { try? await redis.set(keys.known, Array("1".utf8), ttl: knownLifetime) }
    }

    public func unlock(_ username: String) async throws -> Int {
        let naming = await currentNaming()
        let (account, pairs) = ThrottleKeys.accountPrefixes(username: username, prefix: prefix, naming: naming)
        local.removeAll { $0 == account || $0.starts(with: pairs) }
        clear.withLock { clear in clear = clear.filter { $0.key.username != username } }
        unmerged.withLock { unmerged in
            for key in unmerged.keys where key == account || key.starts(with: pairs) { unmerged.removeValue(forKey: key) }
        }
        guard let redis, naming.shared else { return 0 }
        return try await redis.delete([account]) + redis.deleteKeys(matchingPrefix: pairs)
    }

    private static func counts(from values: [[UInt8]?]) -> ThrottleCounts {
        func number(_ value: [UInt8]?) -> Int { value.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0 }
        return ThrottleCounts(pair: number(values[0]), client: number(values[1]), account: number(values[2]), known: values[3] != nil)
    }
}
