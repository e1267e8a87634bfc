import DoormanCore
import DoormanPostgres
import NIOCore
import Synchronization

/// The full products response, encoded once per catalog generation and per
/// store: a request for every product (the seed's request) costs no
/// PostgreSQL round trip and no JSON encoding while nothing changes. The
/// `ByteBuffer`s share their storage with every response that sends them.
final class ProductBodies: Sendable {
    private struct Encoded {
        var generation: UInt64
        var bodies: [AuthSource: ByteBuffer]
    }

    let catalog: ProductCatalog
    private let encoded = Mutex<Encoded?>(nil)

    init(catalog: ProductCatalog) {
        self.catalog = catalog
    }

    /// The whole list as `source` authenticated it.
    func all(authenticatedBy source: AuthSource) async throws -> ByteBuffer {
        let snapshot = try await catalog.snapshot()
        if let body = encoded.withLock({ $0?.generation == snapshot.generation ? $0?.bodies[source] : nil }) {
            return body
        }
        let body = ByteBuffer(bytes: SeedJSON.productsBody(authenticatedBy: source, products: snapshot.products))
        encoded.withLock { encoded in
            if encoded?.generation != snapshot.generation { encoded = Encoded(generation: snapshot.generation, bodies: [:]) }
            encoded?.bodies[source] = body
        }
        return body
    }

    /// A page (encoded for this request; pages are small).
    func page(limit: Int?, after: Int64?, authenticatedBy source: AuthSource) async throws -> (ByteBuffer, [Product]) {
        let products = try await catalog.page(limit: limit, after: after)
        return (ByteBuffer(bytes: SeedJSON.productsBody(authenticatedBy: source, products: products)), products)
    }
}
