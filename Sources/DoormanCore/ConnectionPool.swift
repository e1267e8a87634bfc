import Foundation

/// A resource that a ``ConnectionPool`` can hand out and take back.
public protocol PooledConnection: AnyObject {
    /// `false` once the connection saw an error that leaves it unusable; the
    /// pool then closes it instead of handing it out again.
    var isReusable: Bool { get }
}

/// A small, blocking pool of connections for blocking C clients (libpq,
/// hiredis): one connection serves one caller at a time.
///
/// Connections are opened lazily up to `capacity`; a caller that finds all of
/// them busy waits up to `acquireTimeout`. A connection that is no longer
/// reusable after a call (or whose call threw) is closed and replaced on
/// demand. Call it from threads that may block, never from an event loop.
public final class ConnectionPool<Connection: PooledConnection>: @unchecked Sendable {
    // @unchecked Sendable: every mutable field is read and written only while
    // `condition` is locked; connections themselves are used by one thread at
    // a time, between checkout and checkin.
    private let condition = NSCondition()
    private var idle: [Connection] = []
    private var open = 0
    private var generation = 0
    private let connect: @Sendable () throws -> Connection

    /// The most connections open at once.
    public let capacity: Int
    /// How long a caller waits for a free connection before giving up.
    public let acquireTimeout: Duration

    /// Creates a pool that opens connections with `connect`.
    public init(capacity: Int, acquireTimeout: Duration = .seconds(5), connect: @escaping @Sendable () throws -> Connection) {
        precondition(capacity > 0, "a pool needs room for one connection")
        self.capacity = capacity
        self.acquireTimeout = acquireTimeout
        self.connect = connect
    }

    /// Runs `body` with a connection checked out of the pool.
    ///
    /// `fresh` tells `body` whether the connection was just opened (a reused
    /// one may have been dropped by the server meanwhile; callers retry once
    /// on a fresh one).
    public func withConnection<T>(_ body: (Connection, _ fresh: Bool) throws -> T) throws -> T {
        let (connection, fresh, checkedOutGeneration) = try checkout()
        do {
            let value = try body(connection, fresh)
            checkin(connection, generation: checkedOutGeneration, keep: connection.isReusable)
            return value
        } catch {
            checkin(connection, generation: checkedOutGeneration, keep: false)
            throw error
        }
    }

    /// Closes every idle connection; busy ones are closed when they come back.
    /// Used after a server restart is known, and on shutdown.
    public func drain() {
        condition.lock()
        let closing = idle
        idle.removeAll()
        open -= closing.count
        generation += 1
        condition.broadcast()
        condition.unlock()
        _ = closing  // released here, outside the lock
    }

    /// Connections open right now (idle and busy).
    public var openCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return open
    }

    private func checkout() throws -> (Connection, Bool, Int) {
        let deadline = Date(timeIntervalSinceNow: acquireTimeout.seconds)
        condition.lock()
        while idle.isEmpty && open >= capacity {
            if !condition.wait(until: deadline) {
                condition.unlock()
                throw DoormanError(.timeout, "all \(capacity) connections stayed busy for \(acquireTimeout.milliseconds)")
            }
        }
        let currentGeneration = generation
        if let connection = idle.popLast() {
            condition.unlock()
            return (connection, false, currentGeneration)
        }
        open += 1
        condition.unlock()
        do {
            return (try connect(), true, currentGeneration)
        } catch {
            condition.lock()
            open -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func checkin(_ connection: Connection, generation checkedOutGeneration: Int, keep: Bool) {
        condition.lock()
        if keep && checkedOutGeneration == generation {
            idle.append(connection)
        } else {
            open -= 1
        }
        condition.signal()
        condition.unlock()
    }
}
