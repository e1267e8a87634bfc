import DoormanCore
import Synchronization

/// A burst of logins with the kept credentials, one after another, that
/// stops at its first failure: a refused password (changed from another
/// shell, say) must not be retried until the throttle locks the account; an
/// outage or a throttle ends it too. It also stops when the session ends
/// (logging out drops the credentials) or when the person stops it (Esc,
/// ``BurstSwitch``). Results go back as actions.
enum BurstRunner {
    /// Why a burst stopped after a refused login.
    static let rejectedMessage = "a login was refused (was the password changed?): stopped before the throttle locks the account"

    /// Runs a burst of `count` logins for `session` and posts its progress
    /// and its end. `credentials` answers `nil` once the session ended;
    /// `isStopped` answers `true` once the person stopped the burst.
    static func run(
        count: Int, concurrency: Int = 1, session: Int,
        credentials: @escaping @Sendable () -> Credentials?,
        isStopped: @escaping @Sendable () -> Bool = { false },
        logIn: @escaping @Sendable (Credentials) async -> LoginResult,
        post: @escaping @Sendable (Action) -> Void
    ) async {
        if concurrency > 1 {
            await runConcurrently(count: count, concurrency: concurrency, session: session, credentials: credentials,
                                  isStopped: isStopped, logIn: logIn, post: post)
            return
        }
        let clock = ContinuousClock()
        for _ in 0..<count {
            if isStopped() { return }  // the state already shows it stopped
            guard let credentials = credentials() else {
                post(.burstFinished(session: session, failure: "logged out"))
                return
            }
            let start = clock.now
            let result = await logIn(credentials)
            if isStopped() { return }
            let sample: BurstSample
            switch result {
            case .authenticated(let authentication):
                switch authentication.timing {
                case .local(let lookup, _): sample = BurstSample(source: authentication.source, latency: lookup)
                case .remote(let roundTrip, _, _): sample = BurstSample(source: authentication.source, latency: roundTrip)
                }
            case .rejected, .unavailable, .throttled:
                sample = BurstSample(source: nil, latency: clock.now - start)
            }
            post(.burstProgress(session: session, sample))
            switch result {
            case .authenticated:
                continue
            case .rejected:
                post(.burstFinished(session: session, failure: rejectedMessage))
            case .unavailable(let reason):
                post(.burstFinished(session: session, failure: reason))
            case .throttled(let retryAfter):
                post(.burstFinished(session: session, failure: AuthOutcome.throttledMessage(retryAfter: retryAfter)))
            }
            return
        }
        post(.burstFinished(session: session, failure: nil))
    }
}

extension BurstRunner {
    /// `concurrency` workers share the `count` logins. The first failure
    /// stops them all before their next login (the ones already asked, at
    /// most `concurrency - 1`, still finish and are shown); the burst ends
    /// once, with that failure.
    static func runConcurrently(
        count: Int, concurrency: Int, session: Int,
        credentials: @escaping @Sendable () -> Credentials?,
        isStopped: @escaping @Sendable () -> Bool,
        logIn: @escaping @Sendable (Credentials) async -> LoginResult,
        post: @escaping @Sendable (Action) -> Void
    ) async {
        let shared = BurstClaims()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<min(concurrency, count) {
                group.addTask {
                    let clock = ContinuousClock()
                    while true {
                        let claimed = shared.state.withLock { state -> Bool in
                            guard state.failure == nil, state.next < count else { return false }
                            state.next += 1
                            return true
                        }
                        guard claimed, !isStopped() else { return }
                        guard let credentials = credentials() else {
                            shared.state.withLock { if $0.failure == nil { $0.failure = "logged out" } }
                            return
                        }
                        let start = clock.now
                        let result = await logIn(credentials)
                        if isStopped() { return }
                        let failure: String?
                        switch result {
                        case .authenticated(let authentication):
                            switch authentication.timing {
                            case .local(let lookup, _): post(.burstProgress(session: session, BurstSample(source: authentication.source, latency: lookup)))
                            case .remote(let roundTrip, _, _): post(.burstProgress(session: session, BurstSample(source: authentication.source, latency: roundTrip)))
                            }
                            failure = nil
                        case .rejected:
                            failure = rejectedMessage
                        case .unavailable(let reason):
                            failure = reason
                        case .throttled(let retryAfter):
                            failure = AuthOutcome.throttledMessage(retryAfter: retryAfter)
                        }
                        if let failure {
                            post(.burstProgress(session: session, BurstSample(source: nil, latency: clock.now - start)))
                            shared.state.withLock { if $0.failure == nil { $0.failure = failure } }
                        }
                    }
                }
            }
        }
        if isStopped() { return }
        post(.burstFinished(session: session, failure: shared.state.withLock { $0.failure }))
    }
}

/// The concurrent burst's shared count of claimed logins and its first failure.
final class BurstClaims: Sendable {
    let state = Mutex((next: 0, failure: String?.none))
}

/// Lets the UI stop a running burst: each burst remembers the generation it
/// started in, and stopping moves the generation on.
final class BurstSwitch: Sendable {
    private let generation = Mutex(0)

    /// The current generation, for a burst about to start.
    func current() -> Int { generation.withLock { $0 } }

    /// Stops every running burst.
    func stop() { generation.withLock { $0 += 1 } }

    /// `true` once a burst of `started` was stopped.
    func isStopped(_ started: Int) -> Bool { generation.withLock { $0 != started } }
}

/// The login attempts the person cancelled (Esc while waiting): their
/// answers keep no credentials.
final class LoginCancellations: Sendable {
    private let cancelled = Mutex<Set<Int>>([])

    /// Marks `session` cancelled.
    func cancel(_ session: Int) { cancelled.withLock { _ = $0.insert(session) } }

    /// `true` (once) when `session` was cancelled.
    func take(_ session: Int) -> Bool { cancelled.withLock { $0.remove(session) != nil } }
}

/// One piece of background work at a time (the health probe).
final class InFlight: Sendable {
    private let running = Mutex(false)

    /// `true` if nothing was running (and now this is).
    func start() -> Bool { running.withLock { was in defer { was = true }; return !was } }

    /// The work ended.
    func finish() { running.withLock { $0 = false } }
}
