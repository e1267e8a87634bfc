import DoormanCore
import DoormanRedis
import Logging

/// Throttling with counters in Redis, shared by every process that uses it,
/// and in this process while Redis cannot be asked (so the limits still hold
/// per process rather than failing open). See ``ThrottlePolicy``.
public final class RedisLoginThrottle: LoginThrottle {
    /// The limits.
    public let policy: ThrottlePolicy
    private let redis: RedisGateway?
    private let prefix: String
    private let local = LocalThrottleCounters()

    /// Counters in `redis` under its throttle prefix; in this process only when `redis` is `nil`.
    public init(policy: ThrottlePolicy, redis: RedisGateway?) {
        self.policy = policy
        self.redis = redis
        self.prefix = redis?.configuration.throttleKeyPrefix ?? "doorman:throttle:"
    }

    public func check(_ subject: ThrottleSubject) async -> ThrottleCheck {
        guard !policy.isDisabled else { return .allowed }
        let keys = ThrottleKeys(username: subject.username, client: subject.client, prefix: prefix)
        var check = ThrottleCheck()
        if let redis {
            do {
                let values = try await redis.values(for: keys.all)
                check.counts = Self.counts(from: values)
            } catch {
                check.storeUnavailable = true
            }
        }
        if redis == nil || check.storeUnavailable {
            check.counts = local.counts(keys)
        }
        if let limit = policy.exceeded(check.counts) {
            let key = keys.key(limit)
            var left: Duration?
            if let redis, !check.storeUnavailable {
                left = try? await redis.timeLeft(key)
            } else {
                left = local.timeLeft(key)
            }
            check.retryAfter = left ?? policy.window(limit)
        }
        return check
    }

    public func recordFailure(_ subject: ThrottleSubject, after check: ThrottleCheck) async {
        guard !policy.isDisabled else { return }
        let keys = ThrottleKeys(username: subject.username, client: subject.client, prefix: prefix)
        let windows = [(keys.pair, policy.pairWindow), (keys.client, policy.clientWindow), (keys.account, policy.accountWindow)]
        if let redis, !check.storeUnavailable {
            do {
                for (key, window) in windows { try await redis.increment(key, window: window) }
                return
            } catch {}
        }
        for (key, window) in windows { local.increment(key, window: window) }
    }

    public func recordSuccess(_ subject: ThrottleSubject, after check: ThrottleCheck) async {
        guard !policy.isDisabled, check.counts.pair > 0 || !check.counts.known else { return }
        let keys = ThrottleKeys(username: subject.username, client: subject.client, prefix: prefix)
        let counts = check.counts
        let knownLifetime = policy.knownClientLifetime
        if let redis, !check.storeUnavailable {
            do {
                if counts.pair > 0 { try await redis.delete([keys.pair]) }
                if !counts.known { try await redis.set(keys.known, Array("1".utf8), ttl: knownLifetime) }
                return
            } catch {}
        }
        local.remove(keys.pair)
        local.set(keys.known, lifetime: knownLifetime)
    }

    public func unlock(_ username: String) async throws -> Int {
        let (account, pairs) = ThrottleKeys.accountPrefixes(username: username, prefix: prefix)
        local.removeAll { $0 == account || $0.starts(with: pairs) }
        guard let redis else { return 0 }
        return try await redis.delete([account]) + redis.deleteKeys(matchingPrefix: pairs)
    }

    private static func counts(from values: [[UInt8]?]) -> ThrottleCounts {
        func number(_ value: [UInt8]?) -> Int { value.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0 }
        return ThrottleCounts(pair: number(values[0]), client: number(values[1]), account: number(values[2]), known: values[3] != nil)
    }
}
