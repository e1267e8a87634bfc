import Dispatch
import DoormanHTTP
import DoormanUI
import Synchronization

/// Runs each store's probe with a bounded wait, one probe in flight per
/// store: the UI asks every couple of seconds, and a store that hangs is
/// reported down at the deadline while its probe finishes in the background
/// (never blocking the UI thread, which only reads the result).
final class StoreProber: Sendable {
    let checks: [HealthCheck]
    let deadline: Duration
    let slowThreshold: Duration

    init(checks: [HealthCheck], deadline: Duration = .milliseconds(250), slowThreshold: Duration = .milliseconds(100)) {
        self.checks = checks
        self.deadline = deadline
        self.slowThreshold = slowThreshold
    }

    /// Every store, within about ``deadline``.
    func statuses() async -> [StoreStatus] {
        await withTaskGroup(of: (Int, StoreStatus).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask { (index, await self.probe(check)) }
            }
            var results = [StoreStatus?](repeating: nil, count: checks.count)
            for await (index, status) in group { results[index] = status }
            return results.compactMap { $0 }
        }
    }

    private func probe(_ check: HealthCheck) async -> StoreStatus {
        let name = StoreStatus.displayName(check.name)
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + deadline
        // The probe on a task of its own; whichever comes first, its answer or the deadline.
        let answered: Bool = await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            Task {
                do {
                    try await check.probe(end)
                    once.resume(returning: true)
                } catch {
                    once.resume(returning: false)
                }
            }
            // The deadline on a Dispatch timer, not a task: it fires even when
            // Swift's few cooperative threads are all busy.
            let nanoseconds = Int((deadline + .milliseconds(10)).components.seconds) * 1_000_000_000
                + Int((deadline + .milliseconds(10)).components.attoseconds / 1_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) {
                once.resume(returning: false)
            }
        }
        let roundTrip = clock.now - start
        guard answered else {
            return StoreStatus(name: name, state: .down, roundTrip: check.health?.snapshot().lastRoundTrip)
        }
        let slow = roundTrip > (check.health?.slowThreshold ?? slowThreshold) || check.health?.snapshot().state == .slow
        return StoreStatus(name: name, state: slow ? .slow : .up, roundTrip: roundTrip)
    }
}

/// Resumes a continuation once; later calls do nothing.
private final class ResumeOnce<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, Never>?>

    init(_ continuation: CheckedContinuation<Value, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(returning value: Value) {
        continuation.withLock { pending in
            pending?.resume(returning: value)
            pending = nil
        }
    }
}
