import DoormanCore
import Synchronization

/// Where one command's reply lands: completed once, on the event loop, by
/// ``RedisChannelHandler``; awaited once, from anywhere.
///
/// It stands where an `EventLoopPromise` would, for what that costs off the
/// event loop: awaiting a future from another thread first hops to the event
/// loop to register the callback. Here a reply that has already arrived is
/// returned without suspending, and one still on its way resumes the waiting
/// task straight from the event loop.
final class RedisReplySlot: Sendable {
    private enum State {
        case pending
        case waiting(CheckedContinuation<RedisReply, any Error>)
        case done(Result<RedisReply, any Error>)
    }

    private let state = Mutex(State.pending)
    /// Told the result when it comes, whether or not anyone awaits it.
    private let observer: (@Sendable (Result<RedisReply, any Error>) -> Void)?

    /// A slot; `observer` (if any) is called with the result as it lands, on
    /// the thread that completes the slot.
    init(observer: (@Sendable (Result<RedisReply, any Error>) -> Void)? = nil) {
        self.observer = observer
    }

    /// The reply, if it has come (not an error).
    var reply: RedisReply? {
        state.withLock { state in
            if case .done(.success(let reply)) = state { reply } else { nil }
        }
    }

    func succeed(_ reply: RedisReply) { complete(.success(reply)) }

    func fail(_ error: any Error) { complete(.failure(error)) }

    /// The first completion wins; later ones are ignored.
    private func complete(_ result: Result<RedisReply, any Error>) {
        let (first, waiter): (Bool, CheckedContinuation<RedisReply, any Error>?) = state.withLock { state in
            switch state {
            case .pending:
                state = .done(result)
                return (true, nil)
            case .waiting(let continuation):
                state = .done(result)
                return (true, continuation)
            case .done:
                return (false, nil)
            }
        }
        guard first else { return }
        observer?(result)
        waiter?.resume(with: result)
    }

    /// The reply, or the connection's failure (a timeout included). One caller only.
    func value() async throws -> RedisReply {
        if let ready = state.withLock({ state -> Result<RedisReply, any Error>? in
            if case .done(let result) = state { result } else { nil }
        }) {
            return try ready.get()
        }
        return try await withCheckedThrowingContinuation { continuation in
            let ready: Result<RedisReply, any Error>? = state.withLock { state in
                switch state {
                case .pending:
                    state = .waiting(continuation)
                    return nil
                case .done(let result):
                    return result
                case .waiting:
                    // A second caller at once (a bug of Doorman's): an error, not a crash.
                    return .failure(DoormanError(.unavailable, "Redis: one reply awaited twice"))
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
