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
public final class MemoryCredentialCache: Sendable {
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

    /// The password version of a remembered check of `username` with
    /// `password`, or `nil` if there is none (or it expired, or the password
    /// differs).
    public func check(username: String, password: String, now: ContinuousClock.Instant = .now) -> Int64? {
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
        }) else { return nil }
        // Hash outside the lock.
        guard Digest.constantTimeEquals(Self.digest(salt: entry.salt, password: password), entry.digest) else { return nil }
        return entry.version
    }

    /// Remembers a successful check of `password` against the hash of `version`.
    func remember(username: String, password: String, version: Int64, now: ContinuousClock.Instant = .now) {
        let salt = Digest.randomBytes(16)
        let digest = Self.digest(salt: salt, password: password)
        state.withLock { state in
            state.tick &+= 1
            state.entries[username] = Entry(salt: salt, digest: digest, version: version, expires: now + configuration.ttl, lastUsed: state.tick)
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
