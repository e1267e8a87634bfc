import DoormanCore
import NIOCore
import Synchronization

/// A few shared Redis connections, picked round-robin. Unlike a pool for a
/// blocking client, a connection is not handed to one caller at a time:
/// every caller writes to it and waits for its own reply (pipelining).
/// A connection that broke is replaced on the next pick; while one is being
/// opened, callers that pick its slot wait for that one attempt.
final class RedisConnectionPool: Sendable {
    private enum Slot {
        case empty
        case connecting(Task<RedisClientConnection, any Error>, generation: Int)
        case ready(RedisClientConnection)
    }

    private struct State {
        var slots: [Slot]
        var next = 0
        var generation = 0
    }

    private let state: Mutex<State>
    private let open: @Sendable () async throws -> RedisClientConnection

    init(size: Int, open: @escaping @Sendable () async throws -> RedisClientConnection) {
        self.state = Mutex(State(slots: Array(repeating: .empty, count: size)))
        self.open = open
    }

    private enum Pick {
        case use(RedisClientConnection)
        case wait(Task<RedisClientConnection, any Error>, index: Int, generation: Int)
    }

    /// A usable connection, opening one if its slot has none.
    func lease() async throws -> RedisClientConnection {
        let open = open
        let pick: Pick = state.withLock { state in
            let index = state.next
            state.next = (state.next + 1) % state.slots.count
            switch state.slots[index] {
            case .ready(let connection) where connection.isUsable:
                return .use(connection)
            case .connecting(let task, let generation):
                return .wait(task, index: index, generation: generation)
            case .ready, .empty:
                state.generation += 1
                let task = Task { try await open() }
                state.slots[index] = .connecting(task, generation: state.generation)
                return .wait(task, index: index, generation: state.generation)
            }
        }
        switch pick {
        case .use(let connection):
            return connection
        case .wait(let task, let index, let generation):
            do {
                let connection = try await task.value
                let stale = state.withLock { state in
                    guard case .connecting(_, generation) = state.slots[index] else { return true }
                    state.slots[index] = .ready(connection)
                    return false
                }
                if stale && !connection.isUsable { throw DoormanError(.unavailable, "Redis: the connection was closed") }
                return connection
            } catch {
                state.withLock { state in
                    if case .connecting(_, generation) = state.slots[index] { state.slots[index] = .empty }
                }
                throw error
            }
        }
    }

    /// Connections open and usable now.
    var openConnections: Int {
        state.withLock { state in
            state.slots.count { if case .ready(let connection) = $0 { connection.isUsable } else { false } }
        }
    }

    /// Closes every connection; the next lease opens new ones.
    func closeAll() {
        for connection in takeAll() { connection.close() }
    }

    /// Closes every connection and waits until their channels are closed.
    func shutdown() async {
        for connection in takeAll() {
            connection.close()
            try? await connection.channel.closeFuture.get()
        }
    }

    private func takeAll() -> [RedisClientConnection] {
        state.withLock { state in
            var taken: [RedisClientConnection] = []
            for index in state.slots.indices {
                if case .ready(let connection) = state.slots[index] { taken.append(connection) }
                if case .connecting(let task, _) = state.slots[index] {
                    // Closed once it is made.
                    Task { (try? await task.value)?.close() }
                }
                state.slots[index] = .empty
            }
            return taken
        }
    }
}
