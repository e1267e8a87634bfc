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
/// A connection can LISTEN and still hear nothing: through PgBouncer in
/// transaction pooling mode, `LISTEN` is answered but the server connection
/// goes back to PgBouncer's pool, and notifications never reach this client.
/// So after each (re)connection the listener sends a notification with a
/// random token to a channel of its own, from a second short-lived
/// connection, and waits up to `probeTimeout` (2 s) for it to come back. If
/// it does not, it says why once in the log, reports ``Event/disconnected(_:)``
/// and stays not listening (consumers poll); it tries again every
/// `reprobeInterval` (1 min).
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
    private let probeTimeout: Duration
    private let reprobeInterval: Duration
    private let probeChannel = "doorman_probe_\(UInt64.random(in: 0...UInt64.max))"
    private let warnedDeaf = Atomic<Bool>(false)
    private let deaf = Atomic<Bool>(false)
    private let handler: @Sendable (Event) async -> Void
    private let listening = Atomic<Bool>(false)
    private let connections = Atomic<Int>(0)
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Creates a listener; nothing happens until ``start()`` or ``run()``.
    public init(
        configuration: PostgresConfiguration, channels: [String], checkInterval: Duration = .seconds(5),
        probeTimeout: Duration = .seconds(2), reprobeInterval: Duration = .seconds(60),
        logger: Logger, handler: @escaping @Sendable (Event) async -> Void
    ) {
        self.configuration = configuration
        self.channels = channels
        self.checkInterval = checkInterval
        self.probeTimeout = probeTimeout
        self.reprobeInterval = reprobeInterval
        self.logger = logger
        self.handler = handler
    }

    /// `true` while a connection LISTENs and its last check passed.
    public var isListening: Bool {
        listening.load(ordering: .acquiring)
    }

    /// `true` while the listener is connected but its own notification did not
    /// come back (PgBouncer in transaction mode): consumers poll.
    public var notificationsDoNotArrive: Bool {
        deaf.load(ordering: .acquiring)
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
                for channel in channels + [probeChannel] {
                    try await connection.listen(channel, deadline: .now + configuration.queryTimeout)
                }
                connections.add(1, ordering: .releasing)
                pause = .milliseconds(250)
                var heard = try await probe(connection)
                var nextProbe = ContinuousClock.now + reprobeInterval
                if heard { await becameListening() } else { await becameDeaf() }
                var nextCheck = ContinuousClock.now + checkInterval
                while !Task.isCancelled {
                    for (channel, payload) in try await connection.waitForNotifications(until: heard ? nextCheck : min(nextCheck, nextProbe))
                    where channel != probeChannel {
                        await handler(.notification(channel: channel, payload: payload))
                    }
                    if !heard && ContinuousClock.now >= nextProbe {
                        heard = try await probe(connection)
                        nextProbe = .now + reprobeInterval
                        if heard {
                            logger.notice("notifications arrive again; listening for changes in PostgreSQL")
                            await becameListening()
                        }
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

    private func becameListening() async {
        deaf.store(false, ordering: .releasing)
        listening.store(true, ordering: .releasing)
        await handler(.connected)
    }

    private static let deafReason = "notifications do not arrive through this connection (PgBouncer in transaction mode?)"

    private func becameDeaf() async {
        listening.store(false, ordering: .releasing)
        deaf.store(true, ordering: .releasing)
        if !warnedDeaf.exchange(true, ordering: .acquiringAndReleasing) {
            logger.warning("\(Self.deafReason); polling doorman_user_changes every second; set --notify-database-url (DOORMAN_NOTIFY_DATABASE_URL) to a direct connection")
        }
        await handler(.disconnected(Self.deafReason))
    }

    /// Sends a random token to ``probeChannel`` from a second connection and
    /// waits up to ``probeTimeout`` for it on `connection`; notifications on
    /// the real channels that arrive meanwhile are handed on. `false` when
    /// the token did not come back.
    private func probe(_ connection: PostgresConnection) async throws -> Bool {
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        do {
            let sender = try await PostgresConnection.connect(configuration: configuration, deadline: .now + configuration.queryTimeout)
            try await sender.query("SELECT pg_notify($1, $2)", [probeChannel, token], deadline: .now + configuration.queryTimeout)
        }
        let deadline = ContinuousClock.now + probeTimeout
        while ContinuousClock.now < deadline {
            var came = false
            for (channel, payload) in try await connection.waitForNotifications(until: deadline) {
                if channel == probeChannel {
                    came = came || payload == token
                } else {
                    await handler(.notification(channel: channel, payload: payload))
                }
            }
            if came { return true }
        }
        return false
    }
}
