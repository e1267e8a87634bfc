import DoormanCore
@testable import DoormanPostgres
import Synchronization
import Testing

/// When the product list is read again, and what is served while PostgreSQL
/// cannot be asked. The read is a closure of the test's own.
@Suite("Product catalog")
struct ProductCatalogTests {
    /// A read the test controls: answers with a list named by a counter, fails, or hangs.
    final class Source: Sendable {
        enum Mode: Sendable { case answer, fail, hang }
        let mode = Mutex(Mode.answer)
        let count = Atomic<Int>(0)

        func read() async throws -> [Product] {
            let number = count.add(1, ordering: .relaxed).newValue
            switch mode.withLock({ $0 }) {
            case .answer: return [Product(id: Int64(number), name: "read \(number)", price: "1.00")]
            case .fail: throw DoormanError(.unavailable, "PostgreSQL is unreachable")
            case .hang:
                try await Task.sleep(for: .seconds(30))
                throw DoormanError(.timeout, "late")
            }
        }
    }

    func make(maxAge: Duration = .seconds(1)) -> (ProductCatalog, Source) {
        let source = Source()
        return (ProductCatalog(maxAgeUnheard: maxAge) { try await source.read() }, source)
    }

    @Test("while listening, the list is read once and kept until a change is announced")
    func keptWhileListening() async throws {
        let (catalog, _) = make()
        catalog.isListening = true
        let first = try await catalog.snapshot()
        for _ in 0..<5 { #expect(try await catalog.snapshot().generation == first.generation) }
        #expect(catalog.reads == 1)
        catalog.invalidate()
        let second = try await catalog.snapshot()
        #expect(second.products.first?.name == "read 2")
        #expect(second.generation > first.generation)
    }

    @Test("a listener that reconnects makes the next request read again (changes may have been missed)")
    func reconnectRereads() async throws {
        let (catalog, _) = make()
        catalog.isListening = true
        _ = try await catalog.snapshot()
        catalog.isListening = false
        catalog.isListening = true
        #expect(try await catalog.snapshot().products.first?.name == "read 2")
    }

    @Test("unheard, the list is trusted for a while, then served stale while one read refreshes it")
    func staleWhileRevalidating() async throws {
        // A generous age: on two busy cores the second request may come late.
        let (catalog, source) = make(maxAge: .seconds(2))
        _ = try await catalog.snapshot()
        _ = try await catalog.snapshot()
        #expect(catalog.reads == 1)
        try await Task.sleep(for: .milliseconds(2_100))
        source.mode.withLock { $0 = .hang }
        let clock = ContinuousClock()
        let start = clock.now
        let stale = try await catalog.snapshot()
        #expect(clock.now - start < .seconds(1), "answered without waiting for the hung read")
        #expect(stale.products.first?.name == "read 1")
        for _ in 0..<100 where source.count.load(ordering: .relaxed) < 2 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(source.count.load(ordering: .relaxed) == 2, "one read in the background")
        _ = try await catalog.snapshot()
        #expect(source.count.load(ordering: .relaxed) == 2, "not one more per request")
    }

    @Test("a failed read serves the last good list at once; a change heard meanwhile does not make requests wait")
    func staleIfError() async throws {
        let (catalog, source) = make(maxAge: .milliseconds(50))
        catalog.isListening = true
        _ = try await catalog.snapshot()
        source.mode.withLock { $0 = .fail }
        catalog.invalidate()
        #expect(try await catalog.snapshot().products.first?.name == "read 1", "stale if error")
        source.mode.withLock { $0 = .hang }
        catalog.invalidate()
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try await catalog.snapshot().products.first?.name == "read 1")
        #expect(clock.now - start < .seconds(1))
        source.mode.withLock { $0 = .answer }
        try await Task.sleep(for: .milliseconds(60))
        #expect(await eventuallyName(catalog) != "read 1", "refreshed once PostgreSQL answers")
    }

    @Test("with no list yet, a failed read is reported")
    func nothingToServe() async {
        let (catalog, source) = make()
        source.mode.withLock { $0 = .fail }
        await #expect(throws: DoormanError.self) { try await catalog.snapshot() }
    }

    @Test("pages by key")
    func paging() async throws {
        let catalog = ProductCatalog { (1...10).map { Product(id: Int64($0 * 10), name: "p\($0)", price: "1") } }
        #expect(try await catalog.page(limit: 3, after: 25).map(\.id) == [30, 40, 50])
        #expect(try await catalog.page(limit: nil, after: 95).map(\.id) == [100])
        #expect(try await catalog.page(limit: 2, after: nil).map(\.id) == [10, 20])
    }

    private func eventuallyName(_ catalog: ProductCatalog) async -> String? {
        for _ in 0..<100 {
            let name = try? await catalog.snapshot().products.first?.name
            if name != "read 1" { return name }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return "read 1"
    }
}
