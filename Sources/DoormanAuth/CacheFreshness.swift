import DoormanCore
import DoormanPostgres
import Synchronization

/// The lowest password version a cached entry may carry, per user, learnt
/// from PostgreSQL's change notifications and `doorman_user_changes`.
///
/// After a password change (version v), every entry for that user with a
/// version below v is stale, wherever it came from: a fill that raced with the
/// change, a copy replayed by someone who can write to Redis, a Redis that
/// missed the eviction while it was down. Changes older than the longest
/// entry lifetime can be forgotten: entries carry a signed expiry.
public final class CacheFreshness: Sendable {
    private struct State {
        var minimumVersion: [String: Int64] = [:]
        var minimumForEveryone: Int64 = 0
        var generation: UInt64 = 0
    }
    private let state = Mutex(State())

    /// Creates an empty record (every version accepted).
    public init() {}

    /// Records a change; returns `true` if it raised a minimum.
    @discardableResult
    public func apply(_ change: UserChange) -> Bool {
        state.withLock { state in
            state.generation &+= 1
            if let username = change.username {
                guard change.version > state.minimumVersion[username, default: 0] else { return false }
                state.minimumVersion[username] = change.version
            } else {
                guard change.version > state.minimumForEveryone else { return false }
                state.minimumForEveryone = change.version
            }
            return true
        }
    }

    /// `true` if an entry of `version` for `username` is not older than a
    /// change Doorman knows of.
    public func accepts(_ version: Int64, for username: String) -> Bool {
        state.withLock { state in
            version >= state.minimumForEveryone && version >= state.minimumVersion[username, default: 0]
        }
    }

    /// Grows with every change applied; lets a caller tell whether a change
    /// arrived while it was working.
    public var generation: UInt64 {
        state.withLock { $0.generation }
    }
}
