import DoormanCore
import Logging
import ServiceLifecycle
import Synchronization

/// Doorman's access to PostgreSQL, the source of truth for users and products.
///
/// Holds a small pool of non-blocking libpq connections driven by
/// ``PostgresReactor``: every method is `async` and waits without holding a
/// thread. Every call has a deadline (by default now + ``PostgresConfiguration/queryTimeout``)
/// that covers waiting for a pooled connection, connecting and the query;
/// past it the query is cancelled, its connection discarded, and the call
/// throws `.unavailable`. A read that fails because a pooled connection was
/// dropped (server restart, `pg_terminate_backend`) is retried once on a new
/// connection. After a connection attempt fails or times out, calls fail fast
/// for a back-off (250 ms doubling to 1 s) while one probe at a time tries again.
///
/// A ServiceLifecycle `Service`: ``run()`` lasts until graceful shutdown, then
/// closes every connection; ``shutdown()`` does the same without a ServiceGroup.
public final class PostgresGateway: Service, Sendable {
    /// The configuration this gateway connects with.
    public let configuration: PostgresConfiguration
    /// What this process knows of PostgreSQL's health from its own calls.
    public let health: StoreHealth
    let pool: PostgresPool
    let breaker = ConnectBreaker()
    let logger: Logger

    /// Creates a gateway; no connection is opened until one is needed.
    public init(configuration: PostgresConfiguration, logger: Logger = Logger(label: "doorman.postgres")) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        self.health = StoreHealth(store: "postgres")
        self.pool = PostgresPool(capacity: max(1, configuration.poolSize))
    }

    /// The deadline a call gets when its caller names none.
    func defaultDeadline() -> ContinuousClock.Instant {
        .now + configuration.queryTimeout
    }

    /// Runs `body` on a pooled connection, within `deadline`.
    ///
    /// With `retryOnLostConnection` (for reads and other idempotent work), a
    /// reused connection that turns out to be dead is dropped with the rest of
    /// the idle pool and `body` runs once more on a new connection. A
    /// connection whose server turns out to be read-only (SQLSTATE 25006: a
    /// standby, after a failover) is never kept, and `body` runs once more on
    /// a new connection whatever `retryOnLostConnection` says: the statement
    /// changed nothing.
    @discardableResult
    func withConnection<T: Sendable>(
        deadline: ContinuousClock.Instant? = nil, retryOnLostConnection: Bool = true,
        _ body: (PostgresConnection, ContinuousClock.Instant) async throws -> T
    ) async throws -> T {
        let start = ContinuousClock.now
        let deadline = deadline ?? start + configuration.queryTimeout
        do {
            return try await attempt(deadline: deadline, start: start, body)
        } catch let readOnly as ReadOnlyServer {
            logger.info("PostgreSQL server is read-only; reconnecting", metadata: ["reason": "\(readOnly.underlying.message)"])
            pool.drainIdle()
            do {
                return try await attempt(deadline: deadline, start: start, body)
            } catch let again as ReadOnlyServer {
                throw again.underlying
            } catch let lost as LostPooledConnection {
                throw lost.underlying
            }
        } catch let lost as LostPooledConnection where retryOnLostConnection {
            logger.info("PostgreSQL connection was lost; reconnecting", metadata: ["reason": "\(lost.underlying.message)"])
            pool.drainIdle()
            do {
                return try await attempt(deadline: deadline, start: start, body)
            } catch let lost as LostPooledConnection {
                throw lost.underlying
            } catch let readOnly as ReadOnlyServer {
                throw readOnly.underlying
            }
        } catch let lost as LostPooledConnection {
            throw lost.underlying
        }
    }

    private func attempt<T: Sendable>(
        deadline: ContinuousClock.Instant, start: ContinuousClock.Instant,
        _ body: (PostgresConnection, ContinuousClock.Instant) async throws -> T
    ) async throws -> T {
        let (connection, fresh) = try await checkout(deadline: deadline, start: start)
        let began = ContinuousClock.now
        do {
            let value = try await body(connection, deadline)
            pool.checkin(connection, keep: connection.isReusable)
            health.recordSuccess(roundTrip: .now - began)
            return value
        } catch let error as DoormanError {
            pool.checkin(connection, keep: connection.isReusable)
            if error.kind == .unavailable && ContinuousClock.now >= deadline {
                health.recordTimeout()
                throw timeoutError(since: start, deadline: deadline)
            }
            if connection.isOnReadOnlyServer {
                health.recordFailure("read-only server")
                throw ReadOnlyServer(underlying: error)
            }
            if error.kind == .unavailable {
                health.recordFailure("connection lost")
                if !fresh { throw LostPooledConnection(underlying: error) }
            } else {
                // The server answered (with an error): it is up.
                health.recordSuccess(roundTrip: .now - began)
            }
            throw error
        } catch {
            pool.checkin(connection, keep: false)
            throw error
        }
    }

    /// A connection from the pool (reused, or opened now in a free slot).
    private func checkout(deadline: ContinuousClock.Instant, start: ContinuousClock.Instant) async throws -> (PostgresConnection, fresh: Bool) {
        let lease: PostgresPool.Lease
        do {
            lease = try await pool.acquire(deadline: deadline)
        } catch is PostgresPool.AcquireTimeout {
            health.recordTimeout()
            throw timeoutError(since: start, deadline: deadline)
        }
        switch lease {
        case .connection(let connection):
            return (connection, false)
        case .slot:
            do {
                try breaker.admit(health: health)
            } catch {
                pool.releaseSlot()
                throw error
            }
            let connecting = ContinuousClock.now
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, deadline: deadline)
                breaker.succeeded()
                return (connection, true)
            } catch let error as DoormanError {
                pool.releaseSlot()
                // Only a slow failure (a host that does not answer) opens the breaker:
                // a refused connection costs nothing to try again.
                if ContinuousClock.now - connecting >= ConnectBreaker.slowFailure {
                    breaker.failed(health: health)
                } else {
                    breaker.abandoned()
                }
                if ContinuousClock.now >= deadline {
                    health.recordTimeout()
                    throw timeoutError(since: start, deadline: deadline)
                }
                health.recordFailure("cannot connect")
                throw error
            } catch {
                pool.releaseSlot()
                breaker.abandoned()
                throw error
            }
        }
    }

    private func timeoutError(since start: ContinuousClock.Instant, deadline: ContinuousClock.Instant) -> DoormanError {
        DoormanError(.unavailable, "PostgreSQL did not answer within \(Self.format(deadline - start))")
    }

    static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds % 1_000 == 0 { return "\(milliseconds / 1_000) s" }
        if milliseconds >= 1_000 { return "\(Double(milliseconds) / 1_000) s" }
        return "\(milliseconds) ms"
    }

    /// Closes idle connections (they reopen on demand).
    public func closeIdleConnections() {
        pool.drainIdle()
    }

    /// Runs `SELECT 1`; throws if PostgreSQL cannot be used before `deadline`.
    public func ping(deadline: ContinuousClock.Instant? = nil) async throws {
        try await withConnection(deadline: deadline) { connection, deadline in
            _ = try await connection.query("SELECT 1", deadline: deadline)
        }
    }

    /// Until graceful shutdown; then closes every connection.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Closes every connection now and refuses further calls' connections
    /// from being kept (busy ones close when they come back).
    public func shutdown() async {
        pool.close()
    }
}

struct LostPooledConnection: Error {
    let underlying: DoormanError
}

struct ReadOnlyServer: Error {
    let underlying: DoormanError
}

/// Fails connection attempts fast after one failed or timed out, so that a
/// host that never answers costs `connect_timeout` once, not once per caller:
/// calls fail at once for a back-off (250 ms, doubling to 1 s) and then one
/// probe at a time tries to connect.
final class ConnectBreaker: Sendable {
    /// A failed attempt that took this long opens the breaker.
    static let slowFailure = Duration.milliseconds(200)

    private struct State {
        var failures = 0
        var openUntil: ContinuousClock.Instant?
        var probing = false
    }

    private let state = Mutex(State())

    /// Throws `.unavailable` while attempts are being skipped.
    func admit(health: StoreHealth) throws {
        let now = ContinuousClock.now
        let admitted = state.withLock { state -> Bool in
            guard state.failures > 0 else { return true }
            if let until = state.openUntil, now < until { return false }
            if state.probing { return false }
            state.probing = true
            return true
        }
        guard admitted else {
            throw DoormanError(.unavailable, "cannot connect to PostgreSQL: a connection attempt just failed (retrying shortly)")
        }
    }

    func succeeded() {
        state.withLock { $0 = State() }
    }

    func failed(health: StoreHealth) {
        let until: ContinuousClock.Instant = state.withLock { state in
            state.failures += 1
            state.probing = false
            let backoff = Duration.milliseconds(min(1_000, 250 << min(state.failures - 1, 2)))
            let until = ContinuousClock.now + backoff
            state.openUntil = until
            return until
        }
        health.recordBackoff(until: until)
    }

    /// A probe ended without an answer either way (the caller was cancelled).
    func abandoned() {
        state.withLock { $0.probing = false }
    }
}

/// The gateway's connections: at most `capacity` open, handed out one caller
/// at a time, with callers waiting in FIFO order up to their deadlines.
final class PostgresPool: Sendable {
    /// What a caller gets: an idle connection, or the right to open one.
    enum Lease: Sendable {
        case connection(PostgresConnection)
        case slot
    }

    struct AcquireTimeout: Error {}

    fileprivate struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Lease, any Error>
    }

    fileprivate struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
        var closed = false
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Connections open right now (idle and busy).
    var openCount: Int {
        state.withLock { $0.open }
    }

    func acquire(deadline: ContinuousClock.Instant) async throws -> Lease {
        enum Plan { case lease(Lease), wait(UInt64) }
        let plan: Plan? = state.withLock { state in
            if state.closed { return nil }
            if state.waiters.isEmpty {
                if let connection = state.idle.popLast() { return .lease(.connection(connection)) }
                if state.open < capacity {
                    state.open += 1
                    return .lease(.slot)
                }
            }
            state.nextID &+= 1
            return .wait(state.nextID)
        }
        switch plan {
        case nil:
            throw DoormanError(.unavailable, "PostgreSQL gateway is shut down")
        case .lease(let lease):
            return lease
        case .wait(let id):
            // A timer on the reactor ends the wait at the deadline.
            let timer = Task { [self] in
                await PostgresReactor.shared.sleep(until: deadline)
                if !Task.isCancelled { self.expire(id, AcquireTimeout()) }
            }
            defer { timer.cancel() }
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease, any Error>) in
                    let immediate: Lease? = state.withLock { state in
                        // Things may have changed since the plan.
                        if state.waiters.isEmpty {
                            if let connection = state.idle.popLast() { return .connection(connection) }
                            if state.open < capacity {
                                state.open += 1
                                return .slot
                            }
                        }
                        state.waiters.append(Waiter(id: id, continuation: continuation))
                        return nil
                    }
                    if let immediate { continuation.resume(returning: immediate) }
                    if ContinuousClock.now >= deadline { expire(id, AcquireTimeout()) }
                }
            } onCancel: {
                expire(id, CancellationError())
            }
        }
    }

    private func expire(_ id: UInt64, _ error: any Error) {
        let waiter: Waiter? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// Gives a connection back: kept for the next caller, or closed.
    func checkin(_ connection: PostgresConnection, keep: Bool) {
        var closing: PostgresConnection?
        let handoff: (Waiter, Lease)? = state.withLock { state in
            if keep && !state.closed {
                if !state.waiters.isEmpty { return (state.waiters.removeFirst(), .connection(connection)) }
                state.idle.append(connection)
                return nil
            }
            closing = connection
            state.open -= 1
            return state.nextSlot(capacity)
        }
        if let (waiter, lease) = handoff { waiter.continuation.resume(returning: lease) }
        _ = closing  // closed here, outside the lock
    }

    /// A slot whose connection could not be opened is free again.
    func releaseSlot() {
        let handoff: (Waiter, Lease)? = state.withLock { state in
            state.open -= 1
            return state.nextSlot(capacity)
        }
        if let (waiter, lease) = handoff { waiter.continuation.resume(returning: lease) }
    }

    /// Closes every idle connection (after a lost one: the others are likely dead too).
    func drainIdle() {
        let closing: [PostgresConnection] = state.withLock { state in
            let idle = state.idle
            state.idle.removeAll()
            state.open -= idle.count
            return idle
        }
        _ = closing
        // Freed slots go to waiters.
        while let (waiter, lease) = state.withLock({ $0.nextSlot(capacity) }) {
            waiter.continuation.resume(returning: lease)
        }
    }

    /// Closes idle connections, fails waiters, and closes busy ones when they come back.
    func close() {
        let (closing, waiters): ([PostgresConnection], [Waiter]) = state.withLock { state in
            state.closed = true
            let idle = state.idle, waiters = state.waiters
            state.idle.removeAll()
            state.waiters.removeAll()
            state.open -= idle.count
            return (idle, waiters)
        }
        _ = closing
        for waiter in waiters {
            waiter.continuation.resume(throwing: DoormanError(.unavailable, "PostgreSQL gateway is shut down"))
        }
    }
}

extension PostgresPool.State {
    /// The first waiter gets a free slot, if there is one.
    mutating func nextSlot(_ capacity: Int) -> (PostgresPool.Waiter, PostgresPool.Lease)? {
        guard !waiters.isEmpty, open < capacity else { return nil }
        open += 1
        return (waiters.removeFirst(), .slot)
    }
}

extension PostgresGateway {
    /// Runs one statement on a pooled connection (not retried: it may not be idempotent).
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = [], deadline: ContinuousClock.Instant? = nil) async throws -> PostgresRows {
        try await withConnection(deadline: deadline, retryOnLostConnection: false) { connection, deadline in
            try await connection.query(sql, parameters, deadline: deadline)
        }
    }

    /// Runs a script shipped with Doorman or a test (``PostgresConnection/executeScript(_:deadline:)``).
    public func executeScript(_ sql: String, deadline: ContinuousClock.Instant? = nil) async throws {
        try await withConnection(deadline: deadline, retryOnLostConnection: false) { connection, deadline in
            try await connection.executeScript(sql, deadline: deadline)
        }
    }
}
