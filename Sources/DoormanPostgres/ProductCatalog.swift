import DoormanCore
import Synchronization

/// The products, read from PostgreSQL once and kept until they change.
///
/// A statement-level trigger on `products` sends `NOTIFY
/// doorman_product_changes`; the program's ``PostgresListener`` calls
/// ``invalidate()`` for it, and whenever it (re)connects (a change may have
/// been missed). Without a listener (``isListening`` false) nothing is kept:
/// every call reads PostgreSQL, as before.
public final class ProductCatalog: Sendable {
    /// The channel the trigger notifies.
    public static let channel = "doorman_product_changes"

    /// A consistent list and the generation it belongs to.
    public struct Snapshot: Sendable {
        /// Grows whenever the list may have changed; caches derived from the
        /// list (encoded JSON) key on it.
        public let generation: UInt64
        /// Every product, in `product_id` order.
        public let products: [Product]
    }

    private struct State {
        var generation: UInt64 = 1
        var snapshot: Snapshot?
        var listening = false
        var reads = 0
    }

    private let postgres: PostgresGateway
    private let state = Mutex(State())

    /// Creates a catalog over `postgres`.
    public init(postgres: PostgresGateway) {
        self.postgres = postgres
    }

    /// Every product: the kept list when it is current, else read from
    /// PostgreSQL (and kept, while listening).
    public func snapshot() throws -> Snapshot {
        let (cached, generation, listening) = state.withLock { ($0.snapshot, $0.generation, $0.listening) }
        if let cached, cached.generation == generation { return cached }
        let products = try postgres.products()
        state.withLock { $0.reads += 1 }
        let fresh = Snapshot(generation: generation, products: products)
        state.withLock { state in
            // Keep it only if nothing changed while it was being read.
            if state.listening && state.generation == generation { state.snapshot = fresh }
        }
        return listening ? fresh : Snapshot(generation: state.withLock { $0.generation &+= 1; return $0.generation }, products: products)
    }

    /// A page of products by key: those with an id above `after`, at most `limit`.
    public func page(limit: Int?, after: Int64?) throws -> [Product] {
        let products = try snapshot().products
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

    /// How many times the list was read from PostgreSQL (for tests and the panel).
    public var reads: Int {
        state.withLock { $0.reads }
    }

    /// Forgets the kept list: something changed (or may have).
    public func invalidate() {
        state.withLock { state in
            state.generation &+= 1
            state.snapshot = nil
        }
    }

    /// Whether a listener keeps the catalog current (set by its owner).
    public var isListening: Bool {
        get { state.withLock { $0.listening } }
        set {
            state.withLock { state in
                state.listening = newValue
                state.generation &+= 1
                state.snapshot = nil
            }
        }
    }
}
