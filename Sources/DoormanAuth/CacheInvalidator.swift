import DoormanCore
import DoormanPostgres
import DoormanRedis
import Logging
import Synchronization

/// Keeps every cached copy of a user's hash honest when the user changes in
/// PostgreSQL, whether through Doorman or with plain SQL.
///
/// It LISTENs to `doorman_user_changes` (sent by triggers on `users`) on a
/// connection of its own. For each change it raises the user's minimum
/// version in ``CacheFreshness`` (so stale entries are refused at once, by
/// this process, even before Redis is told) and deletes the user's Redis
/// entry. Whenever it (re)connects, it catches up from the
/// `doorman_user_changes` table, since notifications sent while nobody
/// listened are lost. Changes older than the longest entry lifetime are
/// pruned from that table.
public final class CacheInvalidator: Sendable {
    /// The channel the triggers notify.
    public static let channel = "doorman_user_changes"

    let freshness: CacheFreshness
    let postgres: PostgresGateway
    let redis: RedisGateway?
    let entryLifetime: Duration
    let logger: Logger
    private let listener: PostgresListener
    private let applied = Atomic<Int>(0)
    private let onChange: @Sendable (UserChange) -> Void

    /// Creates an invalidator; call ``start()`` to begin listening.
    ///
    /// `onChange` is called for every change (after Redis was told), for
    /// other caches of credentials in the process.
    public init(freshness: CacheFreshness, postgres: PostgresGateway, redis: RedisGateway?, entryLifetime: Duration,
                logger: Logger, onChange: @escaping @Sendable (UserChange) -> Void = { _ in }) {
        self.freshness = freshness
        self.postgres = postgres
        self.redis = redis
        self.entryLifetime = entryLifetime
        self.logger = logger
        self.onChange = onChange
        let box = HandlerBox()
        self.listener = PostgresListener(configuration: postgres.configuration, channel: Self.channel, logger: logger) { event in
            box.handler?(event)
        }
        box.handler = { [weak self] event in self?.handle(event) }
    }

    /// Starts listening (on a thread of its own).
    public func start() {
        listener.start()
    }

    /// Stops listening.
    public func stop() {
        listener.stop()
    }

    /// Applies one change: refuse older entries, drop the Redis copy, tell `onChange`.
    ///
    /// With `onlyIfOlder` (catching up on past changes), a Redis entry is
    /// dropped only if it predates the change: one written since, with the
    /// new hash, stays.
    public func apply(_ change: UserChange, onlyIfOlder: Bool = false) {
        freshness.apply(change)
        do {
            if let username = change.username {
                if !onlyIfOlder {
                    try redis?.evict(username)
                } else if let value = try redis?.cachedValue(for: username), (CacheEntry.version(of: value) ?? 0) < change.version {
                    try redis?.evict(username)
                }
            } else if !onlyIfOlder {
                try redis?.evictAll()
            }
        } catch {
            // The version check still refuses the stale entry; its TTL ends it.
            logger.warning("could not drop a changed user's cached hash", metadata: ["reason": "\((error as? DoormanError)?.message ?? "\(error)")"])
        }
        onChange(change)
        applied.add(1, ordering: .releasing)
    }

    /// How many changes this invalidator has applied (all of their effects done).
    public var changesApplied: Int {
        applied.load(ordering: .acquiring)
    }

    /// Catches up on changes made while nobody listened, then prunes old ones.
    public func catchUp() throws {
        let changes = try postgres.userChanges(within: entryLifetime + .seconds(60))
        for change in changes { apply(change, onlyIfOlder: true) }
        try postgres.pruneUserChanges(olderThan: max(entryLifetime * 2, .seconds(2 * 86_400)))
        if !changes.isEmpty {
            logger.info("caught up on user changes", metadata: ["count": "\(changes.count)"])
        }
    }

    private func handle(_ event: PostgresListener.Event) {
        switch event {
        case .connected:
            do {
                try catchUp()
            } catch {
                logger.warning("could not catch up on user changes", metadata: ["reason": "\((error as? DoormanError)?.message ?? "\(error)")"])
            }
        case .notification(let payload):
            if let change = UserChange(notification: payload) { apply(change) }
        case .disconnected:
            break
        }
    }
}

/// Lets the listener's handler reach the invalidator created after it.
private final class HandlerBox: @unchecked Sendable {
    // @unchecked Sendable: `handler` is set once in CacheInvalidator.init,
    // before start() can make the listener thread call it.
    var handler: (@Sendable (PostgresListener.Event) -> Void)?
}
