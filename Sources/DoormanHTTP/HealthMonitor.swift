import DoormanCore
import Synchronization

/// One store as `/healthz` sees it: what the process already knows of it
/// (its gateway's ``StoreHealth``) and a cheap probe that is given a deadline.
public struct HealthCheck: Sendable {
    /// `postgres` or `redis`: the key in `/healthz`'s answer.
    public var name: String
    /// What the gateway recorded of its own calls, if it records any.
    public var health: StoreHealth?
    /// One round trip (`SELECT 1`, `PING`) that gives up at the deadline.
    public var probe: @Sendable (_ deadline: ContinuousClock.Instant) async throws -> Void

    /// Creates a check.
    public init(name: String, health: StoreHealth?, probe: @escaping @Sendable (_ deadline: ContinuousClock.Instant) async throws -> Void) {
        self.name = name
        self.health = health
        self.probe = probe
    }
}

/// Answers "how are the stores?" within a bound, however the stores behave.
///
/// Each store gets at most one probe in flight and one probe per
/// `probeInterval` (a load balancer polling every second, or a hundred at
/// once, costs one round trip per store per interval); a caller waits for a
/// probe at most `probeDeadline`. A probe that answers is `up` (or `slow` when
/// it took longer than the store's slow threshold, or when the gateway saw
/// timeouts lately); one that fails or does not answer in time is `down`.
final class HealthMonitor: Sendable {
    /// What a store looks like now.
    struct Report: Sendable, Equatable {
        var name: String
        var state: StoreHealth.State
        var roundTrip: Duration?
    }

    private struct Probe: Sendable {
        var finished: ContinuousClock.Instant
        var roundTrip: Duration?   // nil: failed or late
    }

    private struct StoreState {
        var last: Probe?
        var inFlight: Task<Probe, Never>?
    }

    let checks: [HealthCheck]
    let probeDeadline: Duration
    let probeInterval: Duration
    private let states: Mutex<[StoreState]>

    init(checks: [HealthCheck], probeDeadline: Duration = .milliseconds(250), probeInterval: Duration = .seconds(1)) {
        self.checks = checks
        self.probeDeadline = probeDeadline
        self.probeInterval = probeInterval
        self.states = Mutex(checks.map { _ in StoreState() })
    }

    /// Every store's state, in the order of ``checks``; returns within about ``probeDeadline``.
    func reports() async -> [Report] {
        await withTaskGroup(of: (Int, Report).self) { group in
            for index in checks.indices {
                group.addTask { (index, await self.report(index)) }
            }
            var reports = [Report?](repeating: nil, count: checks.count)
            for await (index, report) in group { reports[index] = report }
            return reports.compactMap { $0 }
        }
    }

    private func report(_ index: Int) async -> Report {
        let check = checks[index]
        let probe = await latestProbe(index)
        let known = check.health?.snapshot()
        let state: StoreHealth.State
        if let roundTrip = probe.roundTrip {
            let slowThreshold = check.health?.slowThreshold ?? .milliseconds(100)
            state = roundTrip > slowThreshold || known?.state == .slow ? .slow : .up
        } else {
            state = .down
        }
        return Report(name: check.name, state: state, roundTrip: probe.roundTrip ?? known?.lastRoundTrip)
    }

    /// The last probe if it is recent, else the one in flight or a new one,
    /// waited for at most ``probeDeadline`` (a late probe counts as failed).
    private func latestProbe(_ index: Int) async -> Probe {
        let now = ContinuousClock.now
        let check = checks[index]
        let deadline = now + probeDeadline
        enum Source { case recent(Probe), task(Task<Probe, Never>) }
        let source: Source = states.withLock { states in
            if let last = states[index].last, now - last.finished < probeInterval {
                return .recent(last)
            }
            if let inFlight = states[index].inFlight { return .task(inFlight) }
            let started = Task { [self] in
                let clock = ContinuousClock()
                let start = clock.now
                let answered: Bool
                do {
                    try await check.probe(deadline)
                    answered = clock.now <= deadline
                } catch {
                    answered = false
                }
                let probe = Probe(finished: clock.now, roundTrip: answered ? clock.now - start : nil)
                self.states.withLock { states in
                    states[index].last = probe
                    states[index].inFlight = nil
                }
                return probe
            }
            states[index].inFlight = started
            return .task(started)
        }
        switch source {
        case .recent(let probe):
            return probe
        case .task(let task):
            // Never wait past the deadline, even if the probe itself does not honour it.
            return await Self.first(of: task, orNilAt: deadline + .milliseconds(20)) ?? Probe(finished: .now, roundTrip: nil)
        }
    }

    /// `task`'s value, or `nil` if it is not done by `deadline` (the task goes on).
    private static func first(of task: Task<Probe, Never>, orNilAt deadline: ContinuousClock.Instant) async -> Probe? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Probe?, Never>) in
            let pending = ResumeOnce(continuation)
            Task {
                pending.resume(returning: await task.value)
            }
            Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                pending.resume(returning: nil)
            }
        }
    }
}

/// A continuation that the first of several racers resumes; the others find it gone.
private final class ResumeOnce<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, Never>?>

    init(_ continuation: CheckedContinuation<Value, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(returning value: Value) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}
