import DoormanCore
import Foundation
import Testing
@testable import DoormanUI

/// The table's search (`n`, F3), beside its filter (`/`): every row stays,
/// the selection jumps to the rows that match, `n`/`N` go from one to the
/// next and wrap around as vim's do.
@Suite("Search")
struct SearchTests {
    func loaded(_ products: [Product] = Fixtures.products, columns: Int = 100, rows: Int = 30) -> AppState {
        var state = AppState.make(columns: columns, rows: rows)
        state.logInWithProducts(products)
        return state
    }

    func footer(_ state: AppState) -> String {
        Frame.render(state).line(state.layout.footerRow)
    }

    @Test("n opens the search; as it is typed the selection jumps to the first match at or after where it started; every row stays")
    func jumpAsTyped() {
        var state = loaded()
        state.press(.down)
        state.press(.down)  // WINE GLASS, the third row
        state.press(.character("n"))
        #expect(state.inputContext == .search)
        state.type("b")
        // "b" at or after WINE GLASS: CRÈME BRÛLÉE RAMEKIN.
        #expect(state.selectedName == "CRÈME BRÛLÉE RAMEKIN")
        state.type("o")
        // "bo": ラーメン RAMEN BOWL (from where the search started, not from the last jump).
        #expect(state.selectedName == "ラーメン RAMEN BOWL")
        state.typeKeys("wl")
        #expect(state.selectedName == "ラーメン RAMEN BOWL")
        #expect(state.table.visibleCount == Fixtures.products.count)
        #expect(state.table.searchMatches.count == 2)
        #expect(footer(state).contains("Search: bowl  row 6/12  match 1 of 2"), "\(footer(state))")
        // Backspace widens the search again: still from WINE GLASS.
        state.press(.backspace)
        state.press(.backspace)
        state.press(.backspace)
        #expect(state.table.search.text == "b")
        #expect(state.selectedName == "CRÈME BRÛLÉE RAMEKIN")
        state.typeKeys("owl")
        state.press(.enter)
        #expect(state.inputContext == .table)
        #expect(state.table.search.text == "bowl")
        #expect(footer(state).contains("row 6/12  search “bowl” match 1 of 2"), "\(footer(state))")
    }

    @Test("a search past the last match starts again from the top while it is typed")
    func typedWraps() {
        var state = loaded()
        state.press(.end)
        state.type("n")
        state.type("pizza")
        #expect(state.selectedName == "🍕 PIZZA STONE")
    }

    @Test("with a search kept, n and N go to the next and previous match and wrap around both ways, saying so")
    func nextAndPrevious() {
        var state = loaded()
        state.type("n")
        state.type("water")
        state.press(.enter)
        #expect(state.selectedName == "1L FOUNTAIN DRINKING WATER")
        state.press(.character("n"))
        #expect(state.selectedName == "ORGANIC MINERAL WATER 1L")
        #expect(state.message == nil)
        state.press(.character("n"))
        #expect(state.selectedName == "1L FOUNTAIN DRINKING WATER")
        #expect(state.message?.text == "search wrapped to the top")
        state.press(.character("N"))
        #expect(state.selectedName == "ORGANIC MINERAL WATER 1L")
        #expect(state.message?.text == "search wrapped to the bottom")
        state.press(.character("N"))
        #expect(state.selectedName == "1L FOUNTAIN DRINKING WATER")
        #expect(state.message == nil)
        // F3 is n, Shift-F3 is N (htop's keys).
        state.press(.function(3))
        #expect(state.selectedName == "ORGANIC MINERAL WATER 1L")
        state.press(.shiftFunction(3))
        #expect(state.selectedName == "1L FOUNTAIN DRINKING WATER")
        state.press(.function(3))
        #expect(state.selectedName == "ORGANIC MINERAL WATER 1L")
        // From a row between matches: the next one after it, the previous one before it.
        state.press(.home)
        state.press(.down)
        state.press(.down)
        #expect(footer(state).contains("search “water” 2 matches"), "\(footer(state))")
        state.press(.character("N"))
        #expect(state.selectedName == "1L FOUNTAIN DRINKING WATER")
        state.press(.down)
        state.press(.character("n"))
        #expect(state.selectedName == "ORGANIC MINERAL WATER 1L")
        #expect(footer(state).contains("match 2 of 2"))
    }

    @Test("a search that matches nothing: the selection stays, the footer says no match, n says so")
    func noMatch() {
        var state = loaded()
        state.press(.down)
        state.type("n")
        state.type("zzz")
        #expect(state.selectedName == "PINK COTTON BUDS")
        #expect(footer(state).contains("Search: zzz  row 2/12  no match"), "\(footer(state))")
        state.press(.enter)
        #expect(state.message?.text == "no match for “zzz”")
        state.press(.character("n"))
        #expect(state.message?.text == "no match for “zzz”")
        state.press(.character("N"))
        #expect(state.selectedName == "PINK COTTON BUDS")
        #expect(Frame.render(state).line(state.layout.footerRow).contains("no match for “zzz”"))
    }

    @Test("the search looks only at the rows the filter shows")
    func withinFilter() {
        var state = loaded()
        state.type("/water")
        state.press(.enter)
        #expect(state.table.visibleCount == 2)
        state.type("n")
        state.type("ramen")
        #expect(state.table.searchMatches.isEmpty)
        state.press(.control("U"))
        state.type("mineral")
        #expect(state.selectedName == "ORGANIC MINERAL WATER 1L")
        #expect(state.table.searchMatches == [1])
        state.press(.enter)
        // Esc clears the search first, then the filter.
        state.press(.escape)
        #expect(state.table.search.isEmpty)
        #expect(state.table.filter.text == "water")
        state.press(.escape)
        #expect(state.table.filter.isEmpty)
        #expect(state.table.visibleCount == Fixtures.products.count)
    }

    @Test("a filter typed after the search: the matches follow the rows shown")
    func filterAfterSearch() {
        var state = loaded()
        state.type("n")
        state.type("bowl")
        state.press(.enter)
        #expect(state.table.searchMatches.count == 2)
        state.type("/cafe")
        #expect(state.table.searchMatches == [0])
        #expect(footer(state).contains("/cafe  row 1/1 of 12"))
        state.press(.escape)
        #expect(state.table.searchMatches.count == 2)
        #expect(state.table.search.text == "bowl")
    }

    @Test("sorting keeps the search; n follows the new order")
    func afterSort() {
        var state = loaded()
        state.type("n")
        state.type("bowl")
        state.press(.enter)
        #expect(state.selectedName == "ラーメン RAMEN BOWL")
        state.press(.character("2"))  // by name: CAFÉ AU LAIT BOWL before ラーメン RAMEN BOWL
        #expect(state.table.search.text == "bowl")
        #expect(state.table.selected == 0)
        #expect(state.table.searchMatches.map { state.table.rows.products[Int(state.table.visible[$0])].name } == ["CAFÉ AU LAIT BOWL", "ラーメン RAMEN BOWL"])
        state.press(.character("n"))
        #expect(state.selectedName == "CAFÉ AU LAIT BOWL")
        state.press(.character("n"))
        #expect(state.selectedName == "ラーメン RAMEN BOWL")
        state.press(.character("r"))
        state.press(.character("n"))
        #expect(state.selectedName == "ラーメン RAMEN BOWL")
    }

    @Test("a new load keeps the search text, and its matches are found again")
    func reload() {
        var table = ProductTable()
        table.load(ProductRows(Fixtures.products))
        table.beginSearch()
        _ = table.editSearch { $0.insert("water") }
        table.acceptSearch()
        #expect(table.searchMatches.count == 2)
        table.load(ProductRows(Fixtures.products + [Product(id: 13, name: "SPARKLING WATER", price: "1.10")]))
        #expect(table.search.text == "water")
        #expect(table.searchMatches.count == 3)
        #expect(table.stepSearch(forward: true) == .moved)
        #expect(table.stepSearch(forward: true) == .moved)
        #expect(table.selectedRow == 12)
        #expect(table.stepSearch(forward: true) == .wrapped(toTop: true))
    }

    @Test("Esc in the field cancels: the selection and the view go back where they were, and no search is kept")
    func escapeRestores() {
        var state = loaded(Fixtures.many(453), columns: 80, rows: 24)
        state.press(.pageDown)
        state.press(.down)
        state.press(.down)
        #expect(state.selectedName?.hasPrefix("SMOKED") == false)
        let (selected, top) = (state.table.selected, state.table.top)
        state.press(.character("n"))
        state.type("smoked")
        #expect(state.table.selected != selected)
        state.press(.end)  // the end of the field, not of the table
        state.press(.function(3))  // the next match, still typing
        state.press(.escape)
        #expect(state.inputContext == .table)
        #expect(state.table.search.isEmpty)
        #expect(state.table.searchMatches.isEmpty)
        #expect(state.table.selected == selected)
        #expect(state.table.top == top)
        // n now starts a new search, not a next match.
        state.press(.character("n"))
        #expect(state.inputContext == .search)
    }

    @Test("Enter on an empty search keeps none; Ctrl-S edits the kept one")
    func emptyAndEdit() {
        var state = loaded()
        state.press(.character("n"))
        state.press(.enter)
        #expect(state.inputContext == .table)
        #expect(state.table.search.isEmpty)
        state.press(.character("n"))
        state.type("wine")
        state.press(.enter)
        #expect(state.selectedName == "WINE GLASS")
        state.press(.control("S"))
        #expect(state.inputContext == .search)
        #expect(state.table.search.text == "wine")
        state.press(.control("W"))
        state.type("cotton")
        #expect(state.selectedName == "PINK COTTON BUDS")
        state.press(.enter)
        #expect(state.table.search.text == "cotton")
    }

    @Test("Esc in the table closes the detail before it clears the search")
    func escapeChain() {
        var state = loaded()
        state.type("n")
        state.type("wine")
        state.press(.enter)
        state.press(.enter)
        #expect(state.detailOpen)
        state.press(.escape)
        #expect(!state.detailOpen)
        #expect(state.table.search.text == "wine")
        state.press(.escape)
        #expect(state.table.search.isEmpty)
    }

    @Test("n then the text in one burst goes to the search; matches are highlighted in the filter's role")
    func burstAndHighlight() throws {
        var state = loaded()
        state.type("ncotton")
        #expect(state.table.search.text == "cotton")
        state.press(.enter)
        state.press(.home)
        let frame = Frame.render(state)
        let y = state.layout.main.y + 2  // PINK COTTON BUDS, not selected
        let line = frame.line(y)
        let column = line.distance(from: line.startIndex, to: try #require(line.range(of: "COTTON")).lowerBound)
        #expect(frame[column, y].role == .tableMatch)
        #expect(frame[column - 2, y].role == .tableRow)
        // The filter's text and the search's are both highlighted.
        #expect(TableView.highlighted("PINK COTTON BUDS", ["pink", "buds"], .tableRow, .tableMatch).map(\.text) == ["PINK", " COTTON ", "BUDS"])
        #expect(TableView.highlighted("ABCD", ["bc", "abc"], .tableRow, .tableMatch).map(\.text) == ["ABC", "D"])
    }

    @Test("a 100,000-row table: matches as typed, narrowed and widened, equal a search afresh")
    func large() {
        let products = Fixtures.many(100_000)
        let rows = ProductRows(products)
        var state = AppState.make(columns: 120, rows: 40)
        guard case .loadProducts(let session)? = state.logIn().first else { Issue.record("no load"); return }
        _ = state.handle(.productsLoaded(session: session, rows))
        func expected(_ query: String) -> [Int] {
            let folded = SearchKey.fold(query)
            return state.table.visible.indices.filter { rows.matches(state.table.visible[$0], folded) }
        }
        state.press(.character("2"))
        state.press(.character("n"))
        var typed = ""
        for character in "café 9" {
            state.type(String(character))
            typed.append(character)
            #expect(state.table.searchMatches == expected(typed), "after typing \(typed)")
        }
        state.press(.backspace)
        #expect(state.table.searchMatches == expected("café "))
        state.press(.enter)
        let first = state.table.selected
        state.press(.character("n"))
        #expect(state.table.selected == state.table.searchMatches[1])
        state.press(.character("N"))
        state.press(.character("N"))
        #expect(state.table.selected == state.table.searchMatches.last)
        #expect(first == state.table.searchMatches[0])
    }
}
