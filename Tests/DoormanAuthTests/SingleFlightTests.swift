@testable import DoormanAuth
import Synchronization
import Testing

@Suite("Single flight")
struct SingleFlightTests {
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
        func next() -> Int { value.add(1, ordering: .relaxed).newValue }
    }

    /// A gate the work waits at until the test opens it.
    final class Gate: Sendable {
        private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
        func wait() async {
            await withCheckedContinuation { continuation in
                let open = state.withLock { state in
                    if !state.open { state.waiters.append(continuation) }
                    return state.open
                }
                if open { continuation.resume() }
            }
        }
        func open() {
            let waiters = state.withLock { state in
                state.open = true
                defer { state.waiters = [] }
                return state.waiters
            }
            waiters.forEach { $0.resume() }
        }
    }

    @Test("100 concurrent callers share one run of the work")
    func shared() async throws {
        let flights = SingleFlight<String, Int>()
        let runs = Counter()
        let gate = Gate()
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<100 {
                group.addTask {
                    let (value, ticket) = try! await flights.join("ada") {
                        await gate.wait()
                        return runs.next()
                    }
                    return (value, ticket.isLeader)
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
            gate.open()
            var all: [(Int, Bool)] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(runs.value.load(ordering: .relaxed) <= 2, "one run, or two if the leader landed before the last caller joined")
        #expect(results.filter(\.1).count == runs.value.load(ordering: .relaxed))
        #expect(Set(results.map(\.0)).count == runs.value.load(ordering: .relaxed))
    }

    @Test("a finished flight is shared until the leader lands it; afterwards the work runs again")
    func openUntilLanded() async throws {
        let flights = SingleFlight<String, Int>()
        let runs = Counter()
        let (first, leader) = try await flights.join("ada") { runs.next() }
        #expect(leader.isLeader)
        let (second, follower) = try await flights.join("ada") { runs.next() }
        #expect(second == first && !follower.isLeader)
        let before = ContinuousClock.now
        leader.land()
        #expect(flights.landed("ada", since: before))
        #expect(!flights.landed("bob", since: before))
        let (third, _) = try await flights.join("ada") { runs.next() }
        #expect(third == first + 1)
    }

    @Test("a failure reaches the waiting callers but is not kept for later ones")
    func failureNotKept() async throws {
        struct Boom: Error {}
        let flights = SingleFlight<String, Int>()
        await #expect(throws: Boom.self) { _ = try await flights.join("ada") { throw Boom() } }
        let (value, ticket) = try await flights.join("ada") { 42 }
        #expect(value == 42 && ticket.isLeader)
    }

    @Test("a leader's ticket that is dropped without landing still closes the flight")
    func droppedTicketLands() async throws {
        let flights = SingleFlight<String, Int>()
        let runs = Counter()
        do {
            _ = try await flights.join("ada") { runs.next() }
        }
        let (value, _) = try await flights.join("ada") { runs.next() }
        #expect(value == 2)
    }

    @Test("the leader's cancellation does not cancel the shared work")
    func leaderCancelled() async throws {
        let flights = SingleFlight<String, Int>()
        let gate = Gate()
        let leader = Task {
            try await flights.join("ada") {
                await gate.wait()
                try Task.checkCancellation()
                return 7
            }.0
        }
        try await Task.sleep(for: .milliseconds(50))
        let follower = Task { try await flights.join("ada") { 0 }.0 }
        try await Task.sleep(for: .milliseconds(50))
        leader.cancel()
        gate.open()
        #expect(try await follower.value == 7)
        #expect(try await leader.value == 7)
    }
}
