import DoormanCore
import DoormanPasswords
import Synchronization

/// The optional in-memory tier in front of Redis, after Elasticsearch's realm
/// cache (`cache.hash_algo: ssha256`, `cache.ttl`, `cache.max_users`): after a
/// successful bcrypt check, remember a salted SHA-256 of the password (never
/// the password) for a short time, so that the next login with the same
/// credentials skips bcrypt. Off by default (`--memory-cache`).
///
/// The trade-off, as in Elasticsearch: a memory dump of the process exposes
/// fast hashes of recently used passwords for at most `ttl`. Entries are
/// dropped when the user changes (the same events as the Redis entry), carry
/// the password version they were made from, and are bounded in number (the
/// least recently used go first).
///
/// A remembered check is renewed before it expires, by one login: in the
/// last tenth of its life, the first login with the right password is told
/// to check again (``Check/renew``) while the others keep hitting. Letting the
/// entry lapse instead sends every concurrent login of a busy user to bcrypt
/// at the same instant (64 connections × 4 ms of bcrypt on 2 cores stalled
/// the tier for 130 ms, once a TTL).
public final class MemoryCredentialCache: Sendable {
    /// What the tier knows of a login.
    public enum Check: Equatable, Sendable {
        /// Nothing remembered for these credentials.
        case miss
        /// The same credentials passed a bcrypt check of this password version.
        case hit(version: Int64)
        /// A hit near its expiry, and this login is the one to renew it: check
        /// the password as if it were a miss; ``remember(username:password:version:now:)``
        /// renews the entry. Another login may claim it after ``renewalClaimLapse``.
        case renew
    }

    /// How long a login's claim to renew an entry stands: if that login does
    /// not renew it (its stores failed), another one may try.
    public static let renewalClaimLapse = Duration.seconds(1)

    /// Settings of the tier.
    public struct Configuration: Sendable, Equatable {
        /// How long a remembered check is good for.
        public var ttl: Duration
        /// The most users remembered at once.
        public var maxUsers: Int

        /// Creates a configuration: 60 seconds, 10,000 users by default.
        public init(ttl: Duration = .seconds(60), maxUsers: Int = 10_000) {
            self.ttl = ttl
            self.maxUsers = maxUsers
        }
    }

    private struct Entry {
        var salt: [UInt8]
        var digest: [UInt8]
        var version: Int64
        var expires: ContinuousClock.Instant
        /// From when a hit asks one login to renew the entry.
        var renewFrom: ContinuousClock.Instant
        /// When a login last claimed the renewal.
        var renewalClaimed: ContinuousClock.Instant?
        var lastUsed: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var tick: UInt64 = 0
    }

    /// The settings.
    public let configuration: Configuration
    private let state = Mutex(State())

    /// Creates an empty tier.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Whether `username` with `password` passed a check moments ago (see ``Check``).
    public func check(username: String, password: String, now: ContinuousClock.Instant = .now) -> Check {
        guard let entry = state.withLock({ state -> Entry? in
            guard var entry = state.entries[username] else { return nil }
            guard entry.expires > now else {
                state.entries[username] = nil
                return nil
            }
            state.tick &+= 1
            entry.lastUsed = state.tick
            state.entries[username] = entry
            return entry
        }) else { return .miss }
        // Hash outside the lock. A wrong password never claims a renewal.
        guard Digest.constantTimeEquals(Self.digest(salt: entry.salt, password: password), entry.digest) else { return .miss }
        guard now >= entry.renewFrom else { return .hit(version: entry.version) }
        let claimed = state.withLock { state -> Bool in
            // The same entry (not one remembered since), with no live claim.
            guard var current = state.entries[username], current.salt == entry.salt else { return false }
            if let claim = current.renewalClaimed, now - claim < Self.renewalClaimLapse { return false }
            current.renewalClaimed = now
            state.entries[username] = current
            return true
        }
        return claimed ? .renew : .hit(version: entry.version)
    }

    /// Remembers a successful check of `password` against the hash of `version`.
    func remember(username: String, password: String, version: Int64, now: ContinuousClock.Instant = .now) {
        let salt = Digest.randomBytes(16)
        let digest = Self.digest(salt: salt, password: password)
        state.withLock { state in
            state.tick &+= 1
            state.entries[username] = Entry(salt: salt, digest: digest, version: version, expires: now + configuration.ttl,
                                            renewFrom: now + configuration.ttl * 0.9, renewalClaimed: nil, lastUsed: state.tick)
            if state.entries.count > configuration.maxUsers {
                // Drop the expired, then the least recently used eighth: amortised O(1).
                state.entries = state.entries.filter { $0.value.expires > now }
                if state.entries.count > configuration.maxUsers {
                    let drop = max(1, configuration.maxUsers / 8)
                    let oldest = state.entries.sorted { $0.value.lastUsed < $1.value.lastUsed }.prefix(drop).map(\.key)
                    for key in oldest { state.entries[key] = nil }
                }
            }
        }
    }

    /// Forgets one user (after a change), or everyone (`nil`).
    public func forget(_ username: String?) {
        state.withLock { state in
            if let username { state.entries[username] = nil } else { state.entries.removeAll() }
        }
    }

    /// Users remembered right now (a test hook: `@testable import`).
    var count: Int {
        state.withLock { $0.entries.count }
    }

    private static func digest(salt: [UInt8], password: String) -> [UInt8] {
        Digest.sha256(salt + Array(password.utf8))
    }
}
