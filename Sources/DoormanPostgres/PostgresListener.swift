import DoormanCore
import Foundation
import Logging
import Synchronization

/// Listens on PostgreSQL channels from a dedicated connection on a thread of
/// its own, and reconnects (with a growing pause) whenever the connection is
/// lost. Notifications sent while it was disconnected are lost, so each
/// (re)connection is reported: the consumer then catches up from a table.
public final class PostgresListener: Sendable {
    /// What the listener reports, on its own thread.
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
    private let handler: @Sendable (Event) -> Void
    private let running = Atomic<Bool>(false)

    /// Creates a listener; nothing happens until ``start()``.
    public init(configuration: PostgresConfiguration, channels: [String], logger: Logger, handler: @escaping @Sendable (Event) -> Void) {
        var configuration = configuration
        configuration.poolSize = 1
        self.configuration = configuration
        self.channels = channels
        self.logger = logger
        self.handler = handler
    }

    /// Starts the listening thread (once).
    public func start() {
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        let thread = Thread { [self] in self.loop() }
        thread.name = "doorman-listen"
        thread.start()
    }

    /// Stops listening; the thread ends within half a second.
    public func stop() {
        running.store(false, ordering: .releasing)
    }

    private func loop() {
        var pause = Duration.milliseconds(250)
        while running.load(ordering: .acquiring) {
            do {
                let connection = try PostgresConnection(configuration: configuration)
                for channel in channels { try connection.listen(channel) }
                pause = .milliseconds(250)
                handler(.connected)
                while running.load(ordering: .acquiring) {
                    for (channel, payload) in try connection.waitForNotifications(timeout: .milliseconds(500)) {
                        handler(.notification(channel: channel, payload: payload))
                    }
                }
            } catch {
                let reason = (error as? DoormanError)?.message ?? "\(error)"
                handler(.disconnected(reason))
                logger.warning("not listening for changes in PostgreSQL; retrying", metadata: ["reason": "\(reason)", "retry_in": "\(pause.milliseconds)"])
                let deadline = ContinuousClock.now + pause
                while running.load(ordering: .acquiring) && ContinuousClock.now < deadline {
                    Thread.sleep(forTimeInterval: 0.05)
                }
                pause = min(pause * 2, .seconds(5))
            }
        }
    }
}
