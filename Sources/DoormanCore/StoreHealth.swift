import Synchronization

/// What this process knows of one store's health from its own calls: the last
/// round-trip time, timeouts and failures, and whether calls are being
/// skipped for a back-off. Each gateway records into one; `/healthz`, the
/// metrics (`doorman_store_timeouts_total{store}`) and the terminal UI's
/// health strip read it, without asking the store anything.
public final class StoreHealth: Sendable {
    /// A store as people and load balancers see it.
    public enum State: String, Sendable, Equatable, CaseIterable {
        /// The last calls were answered, in good time.
        case up
        /// Answered, but slowly: the last round trip took longer than
        /// ``slowThreshold``, or a call timed out lately while others got through.
        case slow
        /// The last call failed or timed out, or calls are being skipped for a back-off.
        case down
    }

    /// A consistent copy at one moment.
    public struct Snapshot: Sendable, Equatable {
        /// The state, from the calls so far (``State/up`` before the first call).
        public var state: State
        /// The last answered call's round trip.
        public var lastRoundTrip: Duration?
        /// When a call was last answered.
        public var lastSuccess: ContinuousClock.Instant?
        /// When a call last failed or timed out.
        public var lastFailure: ContinuousClock.Instant?
        /// Why the last failed call failed (never a secret).
        public var lastFailureReason: String?
        /// Calls that ran past their deadline, since the process started.
        public var timeouts: Int
        /// Calls that failed otherwise (refused, lost, protocol errors).
        public var failures: Int
        /// Calls answered.
        public var successes: Int
        /// `true` while calls are skipped for a back-off after failures.
        public var backingOff: Bool
    }

    private struct Counters {
        var lastRoundTrip: Duration?
        var lastSuccess: ContinuousClock.Instant?
        var lastFailure: ContinuousClock.Instant?
        var lastTimeout: ContinuousClock.Instant?
        var lastFailureReason: String?
        var timeouts = 0
        var failures = 0
        var successes = 0
        var backingOffUntil: ContinuousClock.Instant?
    }

    /// The store's name in metrics and messages: `postgres` or `redis`.
    public let store: String
    /// A round trip longer than this makes the store ``State/slow``.
    public let slowThreshold: Duration
    /// How long a timeout keeps a store that answers again ``State/slow``.
    public let slowMemory: Duration
    private let counters = Mutex(Counters())

    /// Creates an empty record for `store`.
    public init(store: String, slowThreshold: Duration = .milliseconds(100), slowMemory: Duration = .seconds(10)) {
        self.store = store
        self.slowThreshold = slowThreshold
        self.slowMemory = slowMemory
    }

    /// A call was answered after `roundTrip` (an error *reply* counts: the store answered).
    public func recordSuccess(roundTrip: Duration, at now: ContinuousClock.Instant = .now) {
        counters.withLock { counters in
            counters.successes += 1
            counters.lastRoundTrip = roundTrip
            counters.lastSuccess = now
            counters.backingOffUntil = nil
        }
    }

    /// A call ran past its deadline.
    public func recordTimeout(at now: ContinuousClock.Instant = .now) {
        counters.withLock { counters in
            counters.timeouts += 1
            counters.lastFailure = now
            counters.lastTimeout = now
            counters.lastFailureReason = "no answer before the deadline"
        }
    }

    /// A call failed: the store refused, dropped or garbled it. `reason` must hold no secret.
    public func recordFailure(_ reason: String, at now: ContinuousClock.Instant = .now) {
        counters.withLock { counters in
            counters.failures += 1
            counters.lastFailure = now
            counters.lastFailureReason = reason
        }
    }

    /// Calls are skipped until `instant` (a back-off after failures).
    public func recordBackoff(until instant: ContinuousClock.Instant) {
        counters.withLock { $0.backingOffUntil = instant }
    }

    /// Calls that ran past their deadline so far.
    public var timeouts: Int {
        counters.withLock { $0.timeouts }
    }

    /// The state and counters now.
    public func snapshot(at now: ContinuousClock.Instant = .now) -> Snapshot {
        counters.withLock { counters in
            let backingOff = counters.backingOffUntil.map { $0 > now } ?? false
            let state: State
            if backingOff {
                state = .down
            } else if let failure = counters.lastFailure, counters.lastSuccess.map({ $0 < failure }) ?? true {
                state = .down
            } else if let timeout = counters.lastTimeout, now - timeout < slowMemory {
                state = .slow
            } else if let roundTrip = counters.lastRoundTrip, roundTrip > slowThreshold {
                state = .slow
            } else {
                state = .up
            }
            return Snapshot(
                state: state, lastRoundTrip: counters.lastRoundTrip, lastSuccess: counters.lastSuccess,
                lastFailure: counters.lastFailure, lastFailureReason: counters.lastFailureReason,
                timeouts: counters.timeouts, failures: counters.failures, successes: counters.successes,
                backingOff: backingOff)
        }
    }
}
