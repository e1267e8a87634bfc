import Foundation

/// Collapses concurrent calls for the same key into one: the first caller
/// (the leader) runs the work; callers that arrive while the flight is open
/// wait for, and share, its result. For blocking callers (thread-pool threads).
///
/// A flight stays open until the leader calls ``Flight/land()``, not merely
/// until the work is done: a login keeps it open while it verifies the
/// password and fills the cache, so that callers arriving in that window share
/// the lookup. ``landed(_:since:)`` tells a caller that looked at the cache
/// before a flight for its key landed to look again before starting another.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `flights`, `landings` and every Flight's `result`
    // are only touched while `condition` is locked.
    private let condition = NSCondition()
    private var flights: [Key: Flight] = [:]
    private var landings: [Key: ContinuousClock.Instant] = [:]

    /// One flight, as a caller sees it.
    public final class Flight: @unchecked Sendable {
        // @unchecked Sendable: see SingleFlight.
        fileprivate var result: Result<Value, any Error>?
        fileprivate weak var owner: SingleFlight?
        fileprivate let key: Key
        /// `true` for the caller that ran the work.
        public let isLeader: Bool

        fileprivate init(owner: SingleFlight, key: Key, isLeader: Bool) {
            self.owner = owner
            self.key = key
            self.isLeader = isLeader
        }

        /// Closes the flight (leader only; a no-op for followers). Later
        /// callers start a new one.
        public func land() {
            guard isLeader, let owner else { return }
            owner.condition.lock()
            if owner.flights[key] === self { owner.flights[key] = nil }
            if owner.landings.count > 4_096 { owner.landings.removeAll() }
            owner.landings[key] = .now
            owner.condition.unlock()
        }
    }

    /// Creates an empty set of flights.
    public init() {}

    /// Runs `work` for `key`, or joins the open flight for it. Returns the
    /// value (or rethrows the error) and the flight, which a leader must
    /// ``Flight/land()`` when it is done with the value.
    public func join(_ key: Key, work: () throws -> Value) throws -> (Value, Flight) {
        condition.lock()
        if let open = flights[key] {
            while open.result == nil { condition.wait() }
            let result = open.result!
            condition.unlock()
            return (try result.get(), Flight(owner: self, key: key, isLeader: false))
        }
        let flight = Flight(owner: self, key: key, isLeader: true)
        flights[key] = flight
        condition.unlock()

        let result = Result { try work() }
        condition.lock()
        flight.result = result
        if case .failure = result, flights[key] === flight { flights[key] = nil }  // nothing to share
        condition.broadcast()
        condition.unlock()
        return (try result.get(), flight)
    }

    /// `true` if a flight for `key` landed after `instant`.
    public func landed(_ key: Key, since instant: ContinuousClock.Instant) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return landings[key].map { $0 > instant } ?? false
    }
}
