import Foundation
import Synchronization

/// A task executor on two threads of its own, for the tests that bound how
/// long something takes: many other tests block threads of Swift's
/// cooperative pool (two here) for seconds (synchronous PostgreSQL calls,
/// stopping servers), and an await that cannot resume for that long would
/// measure the harness, not Doorman. Run the measured part inside
/// `withTaskExecutorPreference(DedicatedExecutor.shared) { … }`.
final class DedicatedExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: `jobs` is only touched under `condition`'s lock.
    static let shared = DedicatedExecutor(threads: 2)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [self] in run() }
            thread.name = "dedicated-executor-\(index)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
