import DoormanCore
import Synchronization

/// The products, read from PostgreSQL once and kept until they change, and
/// served from the last good read while PostgreSQL cannot be asked.
///
/// - While a listener hears `NOTIFY doorman_product_changes` (a statement-level
///   trigger on `products`) the list is kept until ``invalidate()`` is called
///   for such a notification, or the listener (re)connects (a change may
///   have been missed). The next request then reads it again.
/// - While nobody listens, the list is trusted for `maxAgeUnheard` (1 s):
///   after that, a request still gets it at once while one read refreshes it
///   in the background (stale while revalidating), so a hung PostgreSQL never
///   holds a request up once a list is known.
/// - When a read fails, the last good list is served (stale if error) at
///   once, and a read is tried again at most every `maxAgeUnheard`. Only a
///   process that never read the list reports the failure.
public final class ProductCatalog: Sendable {
    /// The channel the trigger notifies.
    public static let channel = "doorman_product_changes"

    /// A consistent list and the generation it belongs to.
    public struct Snapshot: Sendable {
        /// Grows with every list read; caches derived from the list (encoded JSON) key on it.
        public let generation: UInt64
        /// Every product, in `product_id` order.
        public let products: [Product]
    }

    private struct State {
        var snapshot: Snapshot?
        var readAt: ContinuousClock.Instant?
        /// A change was announced (or may have been missed) since the last read.
        var changed = true
        var listening = false
        var lastFailure: ContinuousClock.Instant?
        var reading: Task<Snapshot, any Error>?
        var generation: UInt64 = 0
        var reads = 0
    }

    private let read: @Sendable () async throws -> [Product]
    private let maxAgeUnheard: Duration
    private let state = Mutex(State())

    /// Creates a catalog that reads the list with `read` (e.g. `SELECT … FROM products`).
    public init(maxAgeUnheard: Duration = .seconds(1), read: @escaping @Sendable () async throws -> [Product]) {
        self.read = read
        self.maxAgeUnheard = maxAgeUnheard
    }

    /// Every product: the kept list when it is current, a fresh read when it
    /// changed, or the last good list while a read fails.
    public func snapshot() async throws -> Snapshot {
        enum Plan { case kept(Snapshot), wait(Task<Snapshot, any Error>, fallback: Snapshot?) }
        let now = ContinuousClock.now
        let plan: Plan = state.withLock { state in
            if let snapshot = state.snapshot {
                let failedSinceRead = state.lastFailure.map { failure in state.readAt.map { failure > $0 } ?? true } ?? false
                // Heard of a change while PostgreSQL answers: wait for the new list.
                if !(state.listening && state.changed && !failedSinceRead) {
                    let unheardTooLong = !state.listening && state.readAt.map { now - $0 >= maxAgeUnheard } ?? true
                    let recentlyFailed = state.lastFailure.map { now - $0 < maxAgeUnheard } ?? false
                    if (state.changed || unheardTooLong || failedSinceRead) && state.reading == nil && !recentlyFailed {
                        state.reading = startRead(&state)  // refresh in the background
                    }
                    return .kept(snapshot)
                }
            }
            let task = state.reading ?? startRead(&state)
            state.reading = task
            return .wait(task, fallback: state.snapshot)
        }
        switch plan {
        case .kept(let snapshot):
            return snapshot
        case .wait(let task, let fallback):
            do {
                return try await task.value
            } catch {
                guard let fallback else { throw error }
                return fallback
            }
        }
    }

    /// A page of products by key: those with an id above `after`, at most `limit`.
    public func page(limit: Int?, after: Int64?) async throws -> [Product] {
        let products = try await snapshot().products
        var start = 0
        if let after {
            // Binary search: the first id above `after`.
            var low = 0, high = products.count
            while low < high {
                let middle = (low + high) / 2
                if products[middle].id <= after { low = middle + 1 } else { high = middle }
            }
            start = low
        }
        let end = limit.map { min(products.count, start + $0) } ?? products.count
        return Array(products[start..<end])
    }

    /// How many times the list was read from PostgreSQL (a test hook: `@testable import`).
    var reads: Int {
        state.withLock { $0.reads }
    }

    /// Something changed (or may have): the next request reads the list again.
    public func invalidate() {
        state.withLock { $0.changed = true }
    }

    /// Whether a listener keeps the catalog current (set by its owner). Each
    /// (re)connection invalidates the list: changes may have been missed.
    public var isListening: Bool {
        get { state.withLock { $0.listening } }
        set {
            state.withLock { state in
                if newValue && !state.listening { state.changed = true }
                state.listening = newValue
            }
        }
    }

    /// Starts one read; its result replaces the kept list.
    private func startRead(_ state: inout State) -> Task<Snapshot, any Error> {
        state.changed = false
        return Task {
            do {
                let products = try await read()
                return self.state.withLock { state in
                    state.reads += 1
                    state.generation &+= 1
                    let snapshot = Snapshot(generation: state.generation, products: products)
                    state.snapshot = snapshot
                    state.readAt = .now
                    state.reading = nil
                    return snapshot
                }
            } catch {
                self.state.withLock { state in
                    state.reading = nil
                    state.changed = true  // still to be read
                    state.lastFailure = .now
                }
                throw error
            }
        }
    }
}
