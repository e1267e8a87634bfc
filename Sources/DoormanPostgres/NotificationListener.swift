import DoormanCore
import Logging
import ServiceLifecycle
import Synchronization

/// Listens on PostgreSQL channels from a dedicated non-blocking connection on
/// the reactor, and notices when it has gone deaf.
///
/// Every `checkInterval` (5 s) it runs `SELECT 1` with a deadline on the
/// LISTEN connection; when that fails, or the server drops the connection
/// (`pg_terminate_backend`, a restart), the connection is replaced, with a
/// growing pause (250 ms doubling to 5 s). Notifications sent while it was
/// not listening are lost, so each (re)connection is reported as
/// ``Event/connected``: consumers then catch up from a table. While
/// ``isListening`` is `false`, consumers must poll.
///
/// A ServiceLifecycle `Service`; ``start()`` and ``stop()`` (which joins)
/// serve callers without a ServiceGroup.
public final class NotificationListener: Service, Sendable {
    /// What the listener reports, in order (the next event waits for the handler).
    public enum Event: Sendable, Equatable {
        /// Listening (again): notifications from now on will arrive; catch up on what came before.
        case connected
        /// A notification on `channel` with its payload.
        case notification(channel: String, payload: String)
        /// The connection was lost or could not be made; the listener retries.
        case disconnected(String)
    }

    private let configuration: PostgresConfiguration
    private let channels: [String]
    private let logger: Logger
    private let checkInterval: Duration
    private let handler: @Sendable (Event) async -> Void
    private let listening = Atomic<Bool>(false)
    private let connections = Atomic<Int>(0)
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Creates a listener; nothing happens until ``start()`` or ``run()``.
    public init(
        configuration: PostgresConfiguration, channels: [String], checkInterval: Duration = .seconds(5),
        logger: Logger, handler: @escaping @Sendable (Event) async -> Void
    ) {
        self.configuration = configuration
        self.channels = channels
        self.checkInterval = checkInterval
        self.logger = logger
        self.handler = handler
    }

    /// `true` while a connection LISTENs and its last check passed.
    public var isListening: Bool {
        listening.load(ordering: .acquiring)
    }

    /// How many times a LISTEN connection was made (a test hook: `@testable import`).
    var connectionCount: Int {
        connections.load(ordering: .acquiring)
    }

    /// Starts listening in a task of its own (once).
    public func start() {
        task.withLock { task in
            guard task == nil else { return }
            task = Task { [self] in await self.loop() }
        }
    }

    /// Stops listening and waits until the listener has stopped.
    public func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        await running?.value
    }

    /// Listens until graceful shutdown.
    public func run() async throws {
        start()
        let running = task.withLock { $0 }
        await withGracefulShutdownHandler {
            await running?.value
        } onGracefulShutdown: {
            running?.cancel()
        }
    }

    private func loop() async {
        var pause = Duration.milliseconds(250)
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, deadline: .now + configuration.queryTimeout)
                for channel in channels {
                    try await connection.listen(channel, deadline: .now + configuration.queryTimeout)
                }
                connections.add(1, ordering: .releasing)
                listening.store(true, ordering: .releasing)
                pause = .milliseconds(250)
                await handler(.connected)
                var nextCheck = ContinuousClock.now + checkInterval
                while !Task.isCancelled {
                    for (channel, payload) in try await connection.waitForNotifications(until: nextCheck) {
                        await handler(.notification(channel: channel, payload: payload))
                    }
                    if ContinuousClock.now >= nextCheck {
                        // Still heard? A half-open connection shows here, not in the wait.
                        try await connection.query("SELECT 1", deadline: .now + configuration.queryTimeout)
                        nextCheck = .now + checkInterval
                    }
                }
            } catch is CancellationError {
                break
            } catch {
                if Task.isCancelled { break }
                listening.store(false, ordering: .releasing)
                let reason = (error as? DoormanError)?.message ?? "\(type(of: error))"
                await handler(.disconnected(reason))
                logger.warning("not listening for changes in PostgreSQL; retrying", metadata: ["reason": "\(reason)", "retry_in": "\(pause)"])
                await PostgresReactor.shared.sleep(until: .now + pause)
                pause = min(pause * 2, .seconds(5))
            }
        }
        listening.store(false, ordering: .releasing)
    }
}
