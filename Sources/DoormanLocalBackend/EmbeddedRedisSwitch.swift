import Foundation
import Synchronization

/// The UI's `O`: stops and starts the embedded stack's Redis for real, so
/// that the fallback to PostgreSQL and the recovery can be watched. The
/// stack's own calls block (they wait for the server), so they run on a
/// thread of their own. A Redis this process stopped is started again at exit
/// (``restore()``): other Doorman processes share the stack.
public final class EmbeddedRedisSwitch: Sendable {
    private let stopServer: @Sendable () throws -> Void
    private let startServer: @Sendable () throws -> Void
    private let stoppedByUs = Mutex(false)

    /// A switch over the stack's `stopRedis` and `startRedis`.
    public init(stop: @escaping @Sendable () throws -> Void, start: @escaping @Sendable () throws -> Void) {
        stopServer = stop
        startServer = start
    }

    /// `true` while this process has the embedded Redis stopped.
    public var isStopped: Bool { stoppedByUs.withLock { $0 } }

    /// Stops (`running == false`) or starts the embedded Redis.
    func set(running: Bool) async throws {
        let body = running ? startServer : stopServer
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
        stoppedByUs.withLock { $0 = !running }
    }

    /// Starts Redis again if this process stopped it (at exit). Blocks.
    public func restore() {
        guard isStopped else { return }
        try? startServer()
        stoppedByUs.withLock { $0 = false }
    }
}
