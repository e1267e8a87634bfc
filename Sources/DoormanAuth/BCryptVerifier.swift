import DoormanCore
import DoormanPasswords
import NIOCore
import NIOPosix
import Synchronization

/// Checks passwords with bcrypt (libxcrypt) on a pool of threads of its own,
/// one per core: the only work of a login that needs a thread. Checks wait
/// their turn in arrival order (NIOThreadPool runs its queue first in, first
/// out), so that under load no login starves behind later ones.
public final class BCryptVerifier: PasswordVerifier {
    private let pool: NIOThreadPool
    private enum PoolState { case idle, running, stopped }
    private let state = Mutex(PoolState.idle)

    /// The process's verifier: one thread per core, started on first use.
    public static let shared = BCryptVerifier()

    /// A hash of cost 10 for unknown users (see ``BCrypt/dummyHash``).
    public let dummyHash: String

    /// Creates a verifier with `threads` threads (the cores, by default),
    /// started on first use.
    public init(threads: Int = System.coreCount, dummyHash: String = BCrypt.dummyHash) {
        self.pool = NIOThreadPool(numberOfThreads: max(1, threads))
        self.dummyHash = dummyHash
    }

    public func verify(_ password: String, against hash: String) async -> (matched: Bool, duration: Duration) {
        guard startIfNeeded() else { return (false, .zero) }
        do {
            return try await pool.runIfActive {
                let clock = ContinuousClock()
                var matched = false
                let duration = clock.measure { matched = BCrypt.verify(password, against: hash) }
                return (matched, duration)
            }
        } catch {
            // The pool is shutting down: the process is exiting. Never "authenticated".
            return (false, .zero)
        }
    }

    public func canVerify(_ hash: String) -> Bool {
        BCrypt.isBcryptHash(hash)
    }

    public func cost(of hash: String) -> Int? {
        BCrypt.cost(of: hash)
    }

    public func hash(_ password: String, cost: Int) async throws -> String {
        guard startIfNeeded() else { throw DoormanError(.unavailable, "bcrypt's threads have stopped") }
        return try await pool.runIfActive { try BCrypt.hash(password, cost: cost) }
    }

    /// Stops the threads once the checks in progress are done.
    public func shutdown() async {
        let wasRunning = state.withLock { state in
            defer { state = .stopped }
            return state == .running
        }
        if wasRunning { try? await pool.shutdownGracefully() }
    }

    /// `false` once shut down.
    private func startIfNeeded() -> Bool {
        state.withLock { state in
            switch state {
            case .running: return true
            case .stopped: return false
            case .idle:
                pool.start()
                state = .running
                return true
            }
        }
    }
}
