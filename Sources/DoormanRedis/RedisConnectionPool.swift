import DoormanCore
import NIOCore
import Synchronization

/// A few shared Redis connections, picked round-robin. Unlike a pool for a
/// blocking client, a connection is not handed to one caller at a time:
/// every caller writes to it and waits for its own reply (pipelining).
/// A connection that broke is replaced on the next pick; while one is being
/// opened, callers that pick its slot wait for that one attempt. The caller
/// that starts an attempt runs it in its own task (no unstructured task: it
/// keeps the caller's executor and priority) and hands the result to the others
/// through a promise.
final class RedisConnectionPool: Sendable {
    private enum Slot {
        case empty
        case connecting(EventLoopFuture<RedisClientConnection>, generation: Int)
        case ready(RedisClientConnection)
    }

    private struct State {
        var slots: [Slot]
        var next = 0
        var generation = 0
    }

    private let state: Mutex<State>
    private let eventLoopGroup: any EventLoopGroup
    private let open: @Sendable () async throws -> RedisClientConnection

    init(size: Int, eventLoopGroup: any EventLoopGroup, open: @escaping @Sendable () async throws -> RedisClientConnection) {
        self.state = Mutex(State(slots: Array(repeating: .empty, count: size)))
        self.eventLoopGroup = eventLoopGroup
        self.open = open
    }

    private enum Pick {
        case use(RedisClientConnection)
        case wait(EventLoopFuture<RedisClientConnection>, index: Int, generation: Int)
        case connect(EventLoopPromise<RedisClientConnection>, index: Int, generation: Int)
    }

    /// A usable connection, opening one if its slot has none. Callers with
    /// the same `affinity` get the same slot (their commands then share
    /// writes and reads); without one, slots are taken in turn.
    func lease(affinity: String? = nil) async throws -> RedisClientConnection {
        let eventLoopGroup = eventLoopGroup
        let pick: Pick = state.withLock { state in
            let index: Int
            if let affinity {
                index = Int(UInt(bitPattern: affinity.hashValue) % UInt(state.slots.count))
            } else {
                index = state.next
                state.next = (state.next + 1) % state.slots.count
            }
            switch state.slots[index] {
            case .ready(let connection) where connection.isUsable:
                return .use(connection)
            case .connecting(let future, let generation):
                return .wait(future, index: index, generation: generation)
            case .ready, .empty:
                state.generation += 1
                let promise = eventLoopGroup.next().makePromise(of: RedisClientConnection.self)
                state.slots[index] = .connecting(promise.futureResult, generation: state.generation)
                return .connect(promise, index: index, generation: state.generation)
            }
        }
        switch pick {
        case .use(let connection):
            return connection
        case .wait(let future, _, _):
            let connection = try await future.get()
            guard connection.isUsable else { throw DoormanError(.unavailable, "Redis: the connection was closed") }
            return connection
        case .connect(let promise, let index, let generation):
            do {
                let connection = try await open()
                let stale = state.withLock { state in
                    guard case .connecting(_, generation) = state.slots[index] else { return true }
                    state.slots[index] = .ready(connection)
                    return false
                }
                if stale { connection.close() }  // closeAll ran meanwhile
                promise.succeed(connection)
                if stale { throw DoormanError(.unavailable, "Redis: the connection was closed") }
                return connection
            } catch {
                state.withLock { state in
                    if case .connecting(_, generation) = state.slots[index] { state.slots[index] = .empty }
                }
                promise.fail(error)
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
                // A connection still being opened is closed by its opener (it sees the slot changed).
                state.slots[index] = .empty
            }
            return taken
        }
    }
}
