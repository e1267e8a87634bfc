import Foundation
import Synchronization

/// Where a login attempt came from, for the live statistics.
public enum AuthOrigin: String, Sendable, Hashable, CaseIterable {
    /// `doorman login`.
    case cli
    /// The terminal UI's login form (or its burst demo).
    case terminal
    /// The HTTP API.
    case http
}

/// One login attempt, as the live panel and the metrics see it (no password, no hash).
public struct AuthEvent: Sendable, Equatable {
    /// When it finished.
    public var time: Date
    /// Where it came from.
    public var origin: AuthOrigin
    /// The outcome, with its timings.
    public var outcome: AuthOutcome
}

/// Live statistics of every login in this process, by store: counts, recent
/// events and recent latencies. Shared by the terminal UI (its cache panel)
/// and the HTTP server (its `/metrics`), including across threads.
public final class AuthStatistics: Sendable {
    /// A consistent copy of the statistics at one moment.
    public struct Snapshot: Sendable, Equatable {
        /// Successful logins by the store that authenticated them.
        public var authenticated: [AuthSource: Int] = [:]
        /// Rejected logins (wrong password, unknown user, malformed input).
        public var rejected = 0
        /// Logins that could not be decided because PostgreSQL was unreachable.
        public var unavailable = 0
        /// Logins refused unchecked because of too many failures.
        public var throttled = 0
        /// Hash lookups that reached PostgreSQL (concurrent ones for one user count once).
        public var postgresLookups = 0
        /// Logins during which Redis could not be used.
        public var cacheUnavailable = 0
        /// Cache flushes made through Doorman.
        public var flushes = 0
        /// Logins by origin (CLI, terminal, HTTP).
        public var byOrigin: [AuthOrigin: Int] = [:]
        /// The most recent events, oldest first.
        public var recent: [AuthEvent] = []
        /// Grows by one with every change; cheap to compare for "anything new?".
        public var generation: UInt64 = 0

        /// All logins counted.
        public var total: Int { authenticated.values.reduce(0, +) + rejected + unavailable + throttled }

        /// The share of successful logins that Redis served, 0...1 (0 when none).
        public var hitRatio: Double {
            let successes = authenticated.values.reduce(0, +)
            guard successes > 0 else { return 0 }
            return Double(authenticated[.redis, default: 0]) / Double(successes)
        }
    }

    /// The counters, and the recent events in a ring (``Snapshot/recent``
    /// is put in order only when a snapshot is taken, not at every login).
    private struct State {
        var snapshot = Snapshot()
        var ring: [AuthEvent] = []
        var next = 0
    }

    private let state: Mutex<State>
    private let observers = Mutex<[@Sendable (AuthEvent) -> Void]>([])
    /// How many recent events are kept.
    public let capacity: Int

    /// Creates empty statistics keeping the last `capacity` events.
    public init(capacity: Int = 256) {
        self.capacity = capacity
        self.state = Mutex(State())
    }

    /// Calls `observer` with every login recorded from now on (on the
    /// thread that records it; keep it quick). The HTTP metrics use this.
    public func observe(_ observer: @escaping @Sendable (AuthEvent) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// Counts one login.
    public func record(_ outcome: AuthOutcome, origin: AuthOrigin, at time: Date = Date()) {
        let event = AuthEvent(time: time, origin: origin, outcome: outcome)
        defer {
            for observer in observers.withLock({ $0 }) { observer(event) }
        }
        state.withLock { state in
            state.snapshot.count(outcome, origin: origin)
            if state.ring.count < capacity {
                state.ring.append(event)
            } else {
                state.ring[state.next] = event
            }
            state.next = (state.next + 1) % capacity
        }
    }

    /// Counts one hash lookup that reached PostgreSQL.
    public func recordPostgresLookup() {
        state.withLock { state in
            state.snapshot.postgresLookups += 1
            state.snapshot.generation &+= 1
        }
    }

    /// Counts a cache flush (of one user, or of all when `user` is `nil`).
    public func recordFlush(user: String?) {
        state.withLock { state in
            state.snapshot.flushes += 1
            state.snapshot.generation &+= 1
        }
    }

    /// A copy of everything, taken under the lock.
    public func snapshot() -> Snapshot {
        state.withLock { state in
            var snapshot = state.snapshot
            snapshot.recent = state.ring.count < capacity
                ? state.ring
                : Array(state.ring[state.next...] + state.ring[..<state.next])
            return snapshot
        }
    }
}

extension AuthStatistics.Snapshot {
    /// Counts one login (the recent events are kept apart, in a ring).
    mutating func count(_ outcome: AuthOutcome, origin: AuthOrigin) {
        switch outcome.result {
        case .authenticated(let source): authenticated[source, default: 0] += 1
        case .rejected: rejected += 1
        case .unavailable: unavailable += 1
        case .throttled: throttled += 1
        }
        if outcome.cacheUnavailable { cacheUnavailable += 1 }
        byOrigin[origin, default: 0] += 1
        generation &+= 1
    }
}
