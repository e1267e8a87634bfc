import DoormanCore
import DoormanPasswords
import DoormanRedis
import Foundation
import Synchronization

/// Limits on failed logins, after OWASP ASVS 5.0 V6.
///
/// Three counters, each over a fixed window that starts at its first failure:
/// - per account and client (`pairLimit` per `pairWindow`): one client
///   guessing one account;
/// - per client (`clientLimit` per `clientWindow`): one client spraying many accounts;
/// - per account (`accountLimit` per `accountWindow`): guessing one account
///   from many clients, at most 100 failures an hour as V6 asks.
///
/// Lockout abuse: the per-account limit does not apply to a client that has
/// logged in to that account successfully before (within
/// `knownClientLifetime`), so an attacker who exhausts an account's budget
/// from elsewhere cannot lock its owner out of their usual address or
/// terminal. The owner's own mistakes are bounded by the per-pair limit.
public struct ThrottlePolicy: Sendable, Equatable {
    public var pairLimit: Int
    public var pairWindow: Duration
    public var clientLimit: Int
    public var clientWindow: Duration
    public var accountLimit: Int
    public var accountWindow: Duration
    public var knownClientLifetime: Duration

    /// The defaults: 10 failures per account and client per 15 minutes, 100
    /// per client per hour, 100 per account per hour from unknown clients.
    public init(
        pairLimit: Int = 10, pairWindow: Duration = .seconds(15 * 60),
        clientLimit: Int = 100, clientWindow: Duration = .seconds(3_600),
        accountLimit: Int = 100, accountWindow: Duration = .seconds(3_600),
        knownClientLifetime: Duration = .seconds(30 * 86_400)
    ) {
        self.pairLimit = pairLimit
        self.pairWindow = pairWindow
        self.clientLimit = clientLimit
        self.clientWindow = clientWindow
        self.accountLimit = accountLimit
        self.accountWindow = accountWindow
        self.knownClientLifetime = knownClientLifetime
    }

    /// No throttling at all (for benchmarks of the raw login path).
    public static let disabled = ThrottlePolicy(pairLimit: .max, clientLimit: .max, accountLimit: .max)

    /// `true` when no limit can ever be reached.
    public var isDisabled: Bool { pairLimit == .max && clientLimit == .max && accountLimit == .max }
}

/// The counters of one login attempt, read in one go.
struct ThrottleCounts: Equatable {
    var pair = 0
    var client = 0
    var account = 0
    var known = false

    /// The higher count of each counter (a client is known if either says so).
    func stricter(_ other: ThrottleCounts) -> ThrottleCounts {
        ThrottleCounts(pair: max(pair, other.pair), client: max(client, other.client), account: max(account, other.account),
                       known: known || other.known)
    }
}

/// Which counter stopped a login.
enum ThrottleLimit: Equatable {
    case pair, client, account
}

extension ThrottlePolicy {
    /// The counter that is over its limit, if any (pure).
    func exceeded(_ counts: ThrottleCounts) -> ThrottleLimit? {
        if counts.pair >= pairLimit { return .pair }
        if counts.client >= clientLimit { return .client }
        if !counts.known && counts.account >= accountLimit { return .account }
        return nil
    }

    func window(_ limit: ThrottleLimit) -> Duration {
        switch limit {
        case .pair: pairWindow
        case .client: clientWindow
        case .account: accountWindow
        }
    }
}

/// Redis keys of the throttle counters. The username is length-prefixed so
/// that no name and client can make another pair's key.
/// The names of one subject's counters. Neither the typed username (often a
/// password typed into the wrong field) nor the client appears in them: each
/// is named by an HMAC made with ``ThrottleNaming``'s key, so that Redis (and
/// whoever reads it) sees `pair:<16 bytes hex>:<16 bytes hex>`.
struct ThrottleKeys {
    let pair: [UInt8]
    let client: [UInt8]
    let account: [UInt8]
    let known: [UInt8]

    init(username: String, client: ClientIdentity, prefix: String, naming: ThrottleNaming) {
        let user = naming.name("user", username), from = naming.name("client", client.value)
        pair = Array("\(prefix)pair:\(user):\(from)".utf8)
        self.client = Array("\(prefix)client:\(from)".utf8)
        account = Array("\(prefix)account:\(user)".utf8)
        known = Array("\(prefix)known:\(user):\(from)".utf8)
    }

    var all: [[UInt8]] { [pair, client, account, known] }

    func key(_ limit: ThrottleLimit) -> [UInt8] {
        switch limit {
        case .pair: pair
        case .client: client
        case .account: account
        }
    }

    /// Every key that can lock `username` out (for `doorman user unlock`).
    static func accountPrefixes(username: String, prefix: String, naming: ThrottleNaming) -> (account: [UInt8], pairs: [UInt8]) {
        let user = naming.name("user", username)
        return (Array("\(prefix)account:\(user)".utf8), Array("\(prefix)pair:\(user):".utf8))
    }
}

/// Names counters by HMAC-SHA-256 under a key derived from the cache-signing
/// key in PostgreSQL (so every process names a subject alike, and Redis alone
/// cannot tell which name is whose), or under a key of this process while
/// that key is unknown (then the counters stay in this process).
struct ThrottleNaming: Sendable {
    let key: [UInt8]
    /// `true` when named with the shared key: the counters may go to Redis.
    let shared: Bool

    init(signingKey: [UInt8]) {
        key = Digest.hmacSHA256(key: signingKey, message: Array("doorman throttle names".utf8))
        shared = true
    }

    /// A key of this process only.
    static let local = ThrottleNaming(key: Digest.randomBytes(32))

    private init(key: [UInt8]) {
        self.key = key
        shared = false
    }

    func name(_ kind: String, _ text: String) -> String {
        Digest.hex(Array(Digest.hmacSHA256(key: key, message: Array("\(kind)\u{0}\(text)".utf8)).prefix(16)))
    }
}

/// Throttle counters kept in this process, beside Redis' (a check takes the
/// stricter): the limits hold per process whatever Redis does.
final class LocalThrottleCounters: Sendable {
    private struct Counter {
        var count: Int
        var expires: ContinuousClock.Instant
    }
    private let counters = Mutex<[[UInt8]: Counter]>([:])

    func counts(_ keys: ThrottleKeys, now: ContinuousClock.Instant = .now) -> ThrottleCounts {
        counters.withLock { counters in
            func count(_ key: [UInt8]) -> Int {
                guard let counter = counters[key], counter.expires > now else { return 0 }
                return counter.count
            }
            return ThrottleCounts(pair: count(keys.pair), client: count(keys.client), account: count(keys.account), known: count(keys.known) > 0)
        }
    }

    func increment(_ key: [UInt8], window: Duration, now: ContinuousClock.Instant = .now) {
        counters.withLock { counters in
            if counters.count > 100_000 { counters = counters.filter { $0.value.expires > now } }
            if let counter = counters[key], counter.expires > now {
                counters[key]?.count = counter.count + 1
            } else {
                counters[key] = Counter(count: 1, expires: now + window)
            }
        }
    }

    func count(_ key: [UInt8], now: ContinuousClock.Instant = .now) -> Int {
        counters.withLock { counters in
            guard let counter = counters[key], counter.expires > now else { return 0 }
            return counter.count
        }
    }

    func set(_ key: [UInt8], lifetime: Duration, now: ContinuousClock.Instant = .now) {
        counters.withLock { $0[key] = Counter(count: 1, expires: now + lifetime) }
    }

    func remove(_ key: [UInt8]) {
        counters.withLock { _ = $0.removeValue(forKey: key) }
    }

    func timeLeft(_ key: [UInt8], now: ContinuousClock.Instant = .now) -> Duration? {
        counters.withLock { counters in
            guard let counter = counters[key], counter.expires > now else { return nil }
            return counter.expires - now
        }
    }

    func removeAll(where predicate: ([UInt8]) -> Bool) {
        counters.withLock { counters in
            for key in counters.keys where predicate(key) { counters.removeValue(forKey: key) }
        }
    }
}
