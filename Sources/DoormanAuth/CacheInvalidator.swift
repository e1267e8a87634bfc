import DoormanCore
import DoormanPostgres
import Logging
import Synchronization

/// Keeps every cached copy of a user's hash honest when the user changes in
/// PostgreSQL, whether through Doorman or with plain SQL.
///
/// Fed by a listener on `doorman_user_changes` (sent by triggers on `users`;
/// see ``handle(_:)``). For each change it raises the user's minimum version
/// in ``CacheFreshness`` (so stale entries are refused at once, by this
/// process, even before Redis is told), deletes the user's Redis entry and
/// forgets the user in the in-memory tier. Whenever the listener
/// (re)connects, it catches up from the `doorman_user_changes` table, since
/// notifications sent while nobody listened are lost. Changes older than the
/// longest entry lifetime are pruned from that table.
public final class CacheInvalidator: Sendable {
    /// The channel the triggers notify.
    public static let channel = "doorman_user_changes"

    private let auth: AuthService
    private let postgres: PostgresGateway
    private let logger: Logger
    private let applied = Atomic<Int>(0)

    private var freshness: CacheFreshness { auth.freshness }
    private var cache: (any CredentialCache)? { auth.stages.cache }
    private var entryLifetime: Duration { auth.configuration.cacheTTL }

    /// Creates an invalidator for the caches of `auth`, reading changes from `postgres`.
    public init(auth: AuthService, postgres: PostgresGateway, logger: Logger) {
        self.auth = auth
        self.postgres = postgres
        self.logger = logger
    }

    /// Applies one change: refuse older entries, drop the Redis copy, forget the memory tier's.
    ///
    /// With `onlyIfOlder` (catching up on past changes), a Redis entry is
    /// dropped only if it predates the change: one written since, with the
    /// new hash, stays.
    public func apply(_ change: UserChange, onlyIfOlder: Bool = false) async {
        freshness.apply(change)
        do {
            if let username = change.username {
                if onlyIfOlder {
                    try await cache?.evict(username, ifOlderThan: change.version)
                } else {
                    try await cache?.evict(username)
                }
            } else if !onlyIfOlder {
                try await cache?.evictAll()
            }
        } catch {
            // The version check still refuses the stale entry; its TTL ends it.
            logger.warning("could not drop a changed user's cached hash", metadata: ["reason": "\((error as? DoormanError)?.message ?? "\(error)")"])
        }
        auth.memoryCache?.forget(change.username)
        // The typical cost may have moved (a user added, rehashed, or gone).
        if !onlyIfOlder { Task { [auth] in await auth.refreshDummyHash() } }
        applied.add(1, ordering: .releasing)
    }

    /// How many changes this invalidator has applied (all of their effects done).
    public var changesApplied: Int {
        applied.load(ordering: .acquiring)
    }

    /// Catches up on changes made while nobody listened, then prunes old ones.
    public func catchUp() async throws {
        let postgres = postgres, window = entryLifetime + .seconds(60)
        let changes = try await postgres.userChanges(within: window)
        for change in changes { await apply(change, onlyIfOlder: true) }
        let age = max(entryLifetime * 2, .seconds(2 * 86_400))
        _ = try await postgres.pruneUserChanges(olderThan: age)
        if !changes.isEmpty {
            logger.info("caught up on user changes", metadata: ["count": "\(changes.count)"])
        }
    }

    /// Handles the listener's events for ``channel``: catch up when it
    /// (re)connects, apply each change notified.
    public func handle(_ event: NotificationListener.Event) async {
        switch event {
        case .connected:
            do {
                try await catchUp()
            } catch {
                logger.warning("could not catch up on user changes", metadata: ["reason": "\((error as? DoormanError)?.message ?? "\(error)")"])
            }
        case .notification(let channel, let payload):
            if channel == Self.channel, let change = UserChange(notification: payload) { await apply(change) }
        case .disconnected:
            break
        }
    }
}
