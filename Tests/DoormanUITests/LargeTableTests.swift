import DoormanCore
import Testing
@testable import DoormanUI

/// Tens of thousands of products: the shortcuts that keep keys instant
/// (prepared orders, narrowing the shown rows as the filter grows, drawing
/// only the rows on screen) give the same rows as doing it the long way.
@Suite("A large table")
struct LargeTableTests {
    static let products = Fixtures.many(50_000)
    static let rows = ProductRows(products)

    /// The rows a filter should show, the slow way: every product, in `order`.
    func expected(_ query: String, _ order: SortOrder) -> [Int32] {
        let folded = SearchKey.fold(query)
        return Self.rows.indices(in: order).filter { SearchKey.contains(Self.rows.searchKeys[Int($0)], folded) }
    }

    @Test("typing, deleting and clearing a filter give the same rows as filtering afresh")
    func incrementalFilter() {
        var state = AppState.make(columns: 120, rows: 40)
        guard case .loadProducts(let session)? = state.logIn().first else { Issue.record("no load"); return }
        _ = state.handle(.productsLoaded(session: session, Self.rows))
        state.press(.character("3"))
        state.press(.character("/"))
        var typed = ""
        for character in "café 1" {
            state.type(String(character))
            typed.append(character)
            #expect(state.table.visible == expected(typed, state.table.sort), "after typing \(typed)")
        }
        state.press(.backspace)
        #expect(state.table.visible == expected("café ", state.table.sort))
        state.press(.escape)
        #expect(state.table.visibleCount == 50_000)
    }

    @Test("the prepared orders are sorted", arguments: SortColumn.allCases)
    func orders(_ column: SortColumn) {
        let order = Self.rows.indices(in: SortOrder(column)).map { Self.products[Int($0)] }
        #expect(order.count == 50_000)
        for (left, right) in zip(order, order.dropFirst()) {
            switch column {
            case .id: #expect(left.id < right.id)
            case .price: #expect(Double(left.price)! <= Double(right.price)!)
            case .name: #expect(!SearchKey.fold(right.name).lexicographicallyPrecedes(SearchKey.fold(left.name)))
            }
        }
        let descending = Self.rows.indices(in: SortOrder(column, ascending: false))
        #expect(descending == Self.rows.indices(in: SortOrder(column)).reversed())
    }

    @Test("a frame lays out only the rows on screen")
    func drawing() {
        var state = AppState.make(columns: 120, rows: 40)
        guard case .loadProducts(let session)? = state.logIn().first else { Issue.record("no load"); return }
        _ = state.handle(.productsLoaded(session: session, Self.rows))
        state.press(.end)
        let frame = Frame.render(state)
        #expect(frame.line(state.layout.main.y + state.layout.tableRows).contains("50000"))
        #expect(state.table.top == 50_000 - state.layout.tableRows)
    }
}
