import Foundation

/// Runs async work to completion from synchronous start-up code (the
/// embedded stack starts under a file lock, with `pg_ctl -w`, and already
/// blocks its caller), on a thread of its own: the work's tasks run on that
/// thread (a task executor preference), never on Swift's cooperative pool,
/// so blocking the caller cannot starve the work even when every pool thread
/// is the caller.
func runToCompletionOnThreadOfItsOwn<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let executor = ThreadTaskExecutor()
    defer { executor.stop() }
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    Task(executorPreference: executor) {
        do {
            box.result = .success(try await body())
        } catch {
            box.result = .failure(error)
        }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

/// `@unchecked Sendable`: written once by the task before it signals, read by
/// the caller after the semaphore.
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

/// A task executor backed by one thread.
///
/// `@unchecked Sendable`: `jobs` and `stopped` are only touched with `condition` locked.
private final class ThreadTaskExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    init() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "doorman-stack-setup"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty && stopped {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
