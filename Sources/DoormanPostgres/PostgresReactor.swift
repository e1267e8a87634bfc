import DoormanCore
import Foundation
import Synchronization

/// One thread that waits, with `poll()`, on the sockets of every libpq
/// connection of the process, plus a wake-up pipe; and on deadlines.
///
/// Connections never block: when libpq says it needs to read or write, the
/// connection's task suspends in ``wait(for:_:until:)`` and the reactor
/// resumes it when the socket is ready or the deadline has passed. A waiting
/// query therefore costs a suspended task, not a thread: a hundred queries
/// waiting on a frozen server are still one reactor thread.
///
/// Continuations are resumed after the reactor's lock is released, and
/// resuming only enqueues the task on its executor: no caller code ever runs
/// on the reactor thread.
final class PostgresReactor: Sendable {
    /// The process's reactor, started on first use.
    static let shared = PostgresReactor()

    /// What a waiter waits for.
    enum Interest: Sendable {
        case read, write, readOrWrite

        var events: Int16 {
            switch self {
            case .read: Int16(POLLIN)
            case .write: Int16(POLLOUT)
            case .readOrWrite: Int16(POLLIN | POLLOUT)
            }
        }
    }

    /// How a wait ended.
    enum Readiness: Sendable, Equatable {
        /// The socket is ready (or has an error or hang-up, which the next libpq call reports).
        case ready
        /// The deadline passed first.
        case timedOut
        /// The waiting task was cancelled.
        case cancelled
    }

    private struct Waiter {
        var fd: Int32
        var events: Int16
        var deadline: ContinuousClock.Instant?
        var continuation: CheckedContinuation<Readiness, Never>
    }

    private struct State {
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        /// Ids cancelled before their waiter was registered.
        var cancelledEarly: Set<UInt64> = []
        var threadStarted = false
    }

    private let state = Mutex(State())
    private let wakeRead: Int32
    private let wakeWrite: Int32

    private init() {
        var fds: [Int32] = [-1, -1]
        let made = pipe(&fds)
        precondition(made == 0, "cannot create the reactor's wake-up pipe")
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    /// Waiters registered right now (for tests).
    var waiterCount: Int {
        state.withLock { $0.waiters.count }
    }

    /// Suspends until `fd` is ready for `interest`, `deadline` passes, or the
    /// task is cancelled. A negative `fd` waits for the deadline only (a timer).
    func wait(for fd: Int32, _ interest: Interest, until deadline: ContinuousClock.Instant?) async -> Readiness {
        let id = state.withLock { state -> UInt64 in
            state.nextID &+= 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Readiness, Never>) in
                let (resumeNow, startThread): (Readiness?, Bool) = state.withLock { state in
                    if state.cancelledEarly.remove(id) != nil { return (.cancelled, false) }
                    if let deadline, deadline <= .now { return (.timedOut, false) }
                    state.waiters[id] = Waiter(fd: fd, events: interest.events, deadline: deadline, continuation: continuation)
                    let start = !state.threadStarted
                    state.threadStarted = true
                    return (nil, start)
                }
                if let resumeNow {
                    continuation.resume(returning: resumeNow)
                    return
                }
                if startThread { self.startThread() }
                self.wake()
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                state.cancelledEarly.insert(id)
                return nil
            }
            if let waiter {
                waiter.continuation.resume(returning: .cancelled)
                wake()
            }
        }
    }

    /// Suspends until `deadline` (a timer on the reactor; no thread sleeps).
    func sleep(until deadline: ContinuousClock.Instant) async {
        _ = await wait(for: -1, .read, until: deadline)
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func startThread() {
        let thread = Thread { [self] in self.run() }
        thread.name = "doorman-pg-reactor"
        thread.start()
    }

    private func run() {
        var descriptors: [pollfd] = []
        var ids: [UInt64] = []
        var drain = [UInt8](repeating: 0, count: 256)
        while true {
            descriptors.removeAll(keepingCapacity: true)
            ids.removeAll(keepingCapacity: true)
            descriptors.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
            // The nearest deadline bounds the wait (a linear scan: the
            // waiters are the process's connections, a few dozen at most).
            let nearest: ContinuousClock.Instant? = state.withLock { state in
                var nearest: ContinuousClock.Instant?
                for (id, waiter) in state.waiters {
                    if waiter.fd >= 0 {
                        descriptors.append(pollfd(fd: waiter.fd, events: waiter.events, revents: 0))
                        ids.append(id)
                    }
                    if let deadline = waiter.deadline, nearest.map({ deadline < $0 }) ?? true { nearest = deadline }
                }
                return nearest
            }
            var timeout: Int32 = -1
            if let nearest {
                let left = nearest - .now
                if left <= .zero {
                    timeout = 0
                } else {
                    let milliseconds = left.components.seconds * 1_000 + (left.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                    timeout = Int32(clamping: milliseconds)
                }
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if ready < 0 && errno != EINTR {
                // Should not happen (EBADF from a closed socket would show as POLLNVAL).
                usleep(1_000)
            }
            if descriptors[0].revents != 0 {
                while read(wakeRead, &drain, drain.count) > 0 {}
            }
            let now = ContinuousClock.now
            var resumed: [(CheckedContinuation<Readiness, Never>, Readiness)] = []
            state.withLock { state in
                for (index, id) in ids.enumerated() where descriptors[index + 1].revents != 0 {
                    if let waiter = state.waiters.removeValue(forKey: id) { resumed.append((waiter.continuation, .ready)) }
                }
                for (id, waiter) in state.waiters {
                    if let deadline = waiter.deadline, deadline <= now {
                        state.waiters.removeValue(forKey: id)
                        resumed.append((waiter.continuation, .timedOut))
                    }
                }
            }
            // Outside the lock: resuming enqueues each task on its executor.
            for (continuation, readiness) in resumed { continuation.resume(returning: readiness) }
        }
    }
}

/// Runs `PQcancel` requests on at most two threads of their own: `PQcancel`
/// opens a new connection and blocks, so it never runs on the reactor or on
/// a caller's task. Requests beyond a short queue are dropped (the discarded
/// connection ends the query anyway, once the server reads the socket again).
final class PostgresCanceller: Sendable {
    static let shared = PostgresCanceller()

    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var threads = 0
        var idleThreads = 0
    }

    private let condition = NSCondition()
    // Guarded by `condition`.
    private nonisolated(unsafe) var state = State()
    private let maximumThreads = 2
    private let maximumQueued = 32

    /// Queues `job`; returns `false` if the queue was full and it was dropped.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard state.jobs.count < maximumQueued else { return false }
        state.jobs.append(job)
        if state.idleThreads == 0 && state.threads < maximumThreads {
            state.threads += 1
            let thread = Thread { [self] in self.work() }
            thread.name = "doorman-pg-cancel"
            thread.start()
        } else {
            condition.signal()
        }
        return true
    }

    private func work() {
        while true {
            condition.lock()
            while state.jobs.isEmpty {
                state.idleThreads += 1
                condition.wait()
                state.idleThreads -= 1
            }
            let job = state.jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
