import Synchronization

/// Collapses concurrent lookups of the same key into one: the first caller
/// (the leader) starts the work; callers that arrive while the flight is open
/// suspend until it is done and share its result, and so its deadline. No
/// caller blocks a thread while it waits.
///
/// A flight stays open until the leader's ``Ticket`` is landed (or released),
/// not merely until the work is done: a login keeps it open while it checks
/// the password and fills the cache, so that callers arriving in that window
/// share the lookup. ``landed(_:since:)`` tells a caller that looked at the
/// cache before a flight for its key landed to look again before starting another.
///
/// The work runs in a task of its own, so that a leader's cancellation does
/// not cancel a lookup that followers are waiting for.
final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Flight {
        let id: UInt64
        var result: Result<Value, any Error>?
        var waiters: [CheckedContinuation<Value, any Error>] = []
    }

    private struct State {
        var flights: [Key: Flight] = [:]
        var landings: [Key: ContinuousClock.Instant] = [:]
        var nextID: UInt64 = 0
    }

    /// A caller's share of a flight. The leader's closes the flight when it is
    /// landed or released; a follower's does nothing.
    final class Ticket: Sendable {
        /// `true` for the caller whose call started the work.
        let isLeader: Bool
        private let close: Mutex<(@Sendable () -> Void)?>

        fileprivate init(isLeader: Bool, close: (@Sendable () -> Void)?) {
            self.isLeader = isLeader
            self.close = Mutex(close)
        }

        /// Closes the flight (leader only): later callers start a new one.
        func land() {
            close.withLock { close in
                close?()
                close = nil
            }
        }

        deinit { land() }
    }

    private enum Role {
        case leader(UInt64)
        case follower(Result<Value, any Error>?)
    }

    private let state = Mutex(State())

    /// Creates an empty set of flights.
    init() {}

    /// Runs `work` for `key`, or joins the open flight for it. Returns the
    /// value (or rethrows the error) and the caller's ticket.
    func join(_ key: Key, work: @escaping @Sendable () async throws -> Value) async throws -> (Value, Ticket) {
        while true {
            do {
                return try await joinOnce(key, work: work)
            } catch is FlightLanded {
                continue  // the flight landed as this caller arrived: look again
            }
        }
    }

    private func joinOnce(_ key: Key, work: @escaping @Sendable () async throws -> Value) async throws -> (Value, Ticket) {
        let role: Role = state.withLock { state in
            if let open = state.flights[key] { return .follower(open.result) }
            state.nextID &+= 1
            state.flights[key] = Flight(id: state.nextID)
            return .leader(state.nextID)
        }
        switch role {
        case .follower(let finished?):
            return (try finished.get(), Ticket(isLeader: false, close: nil))
        case .follower(nil):
            let value: Value = try await withCheckedThrowingContinuation { continuation in
                let finished: Result<Value, any Error>? = state.withLock { state in
                    guard let open = state.flights[key] else {
                        // Landed between the two locks: the leader is done with it.
                        return .failure(FlightLanded())
                    }
                    if let result = open.result { return result }
                    state.flights[key]?.waiters.append(continuation)
                    return nil
                }
                if let finished { continuation.resume(with: finished) }
            }
            return (value, Ticket(isLeader: false, close: nil))
        case .leader(let id):
            let result = await Task { await Result(catching: { try await work() }) }.value
            let waiters = state.withLock { state -> [CheckedContinuation<Value, any Error>] in
                guard var flight = state.flights[key], flight.id == id else { return [] }
                let waiters = flight.waiters
                flight.waiters = []
                if case .failure = result {
                    state.flights[key] = nil  // nothing to share with later callers
                } else {
                    flight.result = result
                    state.flights[key] = flight
                }
                return waiters
            }
            for waiter in waiters { waiter.resume(with: result) }
            let ticket = Ticket(isLeader: true) { [weak self] in self?.land(key, id: id) }
            return (try result.get(), ticket)
        }
    }

    /// `true` if a flight for `key` landed after `instant`.
    func landed(_ key: Key, since instant: ContinuousClock.Instant) -> Bool {
        state.withLock { $0.landings[key].map { $0 > instant } ?? false }
    }

    private func land(_ key: Key, id: UInt64) {
        state.withLock { state in
            if state.flights[key]?.id == id { state.flights[key] = nil }
            if state.landings.count > 4_096 { state.landings.removeAll() }
            state.landings[key] = .now
        }
    }
}

/// A follower arrived as its flight landed; it joins again (rare).
private struct FlightLanded: Error {}

extension Result where Failure == any Error {
    /// Catches the error of an async throwing body.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
