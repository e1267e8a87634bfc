import DoormanCore
import Testing
@testable import DoormanUI

@Suite("Product table")
struct TableStateTests {
    func loaded(_ products: [Product] = Fixtures.products, columns: Int = 100, rows: Int = 30) -> AppState {
        var state = AppState.make(columns: columns, rows: rows)
        state.logInWithProducts(products)
        return state
    }

    @Test("rows arrive in id order with the first selected")
    func initial() {
        let state = loaded()
        #expect(!state.productsLoading)
        #expect(state.table.visibleCount == Fixtures.products.count)
        #expect(state.selectedName == "1L FOUNTAIN DRINKING WATER")
        #expect(state.table.sort == SortOrder(.id))
    }

    @Test("sorting by each column, both directions (the same key again reverses)")
    func sorting() {
        var state = loaded()
        state.press(.character("3"))
        #expect(state.table.sort == SortOrder(.price))
        let prices = state.table.visible.map { Double(state.table.rows.products[Int($0)].price)! }
        #expect(prices == prices.sorted())
        #expect(prices.first == 1.20)
        state.press(.character("3"))
        #expect(state.table.sort == SortOrder(.price, ascending: false))
        #expect(state.table.visible.map { Double(state.table.rows.products[Int($0)].price)! } == prices.reversed())

        state.press(.character("2"))
        #expect(state.table.sort == SortOrder(.name))
        // Case and accents ignored: CAFÉ between 1L... and CRÈME, ÉPICERIE with the Es.
        #expect(Array(state.visibleNames.prefix(4)) == ["1L FOUNTAIN DRINKING WATER", "CAFÉ AU LAIT BOWL", "CRÈME BRÛLÉE RAMEKIN", "E\u{301}PICERIE SAMPLER"])
        state.press(.character("2"))
        #expect(state.table.sort == SortOrder(.name, ascending: false))
        #expect(state.visibleNames.last == "1L FOUNTAIN DRINKING WATER")

        state.press(.character("1"))
        #expect(state.table.sort == SortOrder(.id))
        #expect(state.table.visible.map { state.table.rows.products[Int($0)].id } == Array(1...12))
        state.press(.character("1"))
        #expect(state.table.visible.map { state.table.rows.products[Int($0)].id } == Array((1...12).reversed()))
    }

    @Test("s cycles the sort column, r reverses")
    func cycleSort() {
        var state = loaded()
        state.press(.character("s"))
        #expect(state.table.sort == SortOrder(.name))
        state.press(.character("s"))
        #expect(state.table.sort == SortOrder(.price))
        state.press(.character("r"))
        #expect(state.table.sort == SortOrder(.price, ascending: false))
        state.press(.character("s"))
        #expect(state.table.sort == SortOrder(.id))
    }

    @Test("a new or reversed sort starts at the top, whichever row was selected", arguments: [
        Key.character("3"), .character("1"), .character("s"), .character("r"),
    ])
    func sortStartsAtTop(_ key: Key) {
        var state = AppState.make()
        state.logInWithProducts(Fixtures.many(453))
        state.press(.pageDown)
        state.press(.pageDown)
        state.press(.character("j"))
        #expect(state.table.selected > 0 && state.table.top > 0)
        state.press(key)
        #expect(state.table.selected == 0)
        #expect(state.table.top == 0)
        #expect(state.table.selectedRow == state.table.visible.first)
    }

    @Test("/ filters as you type, ignoring case and accents; Esc clears it")
    func filter() {
        var state = loaded()
        state.press(.character("/"))
        #expect(state.inputContext == .filter)
        state.typeKeys("w")
        #expect(state.table.visibleCount == 5)  // WATER, WINE, BOWL, BOWL, WATER
        state.typeKeys("at")
        #expect(state.visibleNames == ["1L FOUNTAIN DRINKING WATER", "ORGANIC MINERAL WATER 1L"])
        state.press(.backspace)
        #expect(state.table.filter.text == "wa")
        #expect(state.table.visibleCount == 2)
        state.press(.control("U"))
        state.typeKeys("cafe")
        #expect(state.visibleNames == ["CAFÉ AU LAIT BOWL"])
        state.press(.escape)
        #expect(state.table.filter.isEmpty)
        #expect(state.table.visibleCount == Fixtures.products.count)
        #expect(state.inputContext == .table)
    }

    @Test("the filter matches accents written as combining marks, CJK and ids")
    func filterUnicode() {
        var state = loaded()
        state.press(.character("/"))
        state.type("epicerie")
        #expect(state.visibleNames == ["E\u{301}PICERIE SAMPLER"])
        state.press(.control("U"))
        state.type("緑茶")
        #expect(state.visibleNames == ["緑茶 GREEN TEA 500ML"])
        state.press(.control("U"))
        state.type("24.99")
        #expect(state.visibleNames == ["🍕 PIZZA STONE"])
    }

    @Test("Enter keeps the filter and gives the keys back to the table; Esc there clears it")
    func acceptFilter() {
        var state = loaded()
        state.press(.character("/"))
        state.type("bowl")
        state.press(.enter)
        #expect(state.inputContext == .table)
        #expect(state.table.visibleCount == 2)
        state.press(.character("j"))  // a command again, not text
        #expect(state.table.filter.text == "bowl")
        #expect(state.selectedName == "CAFÉ AU LAIT BOWL")
        state.press(.escape)
        #expect(state.table.filter.isEmpty)
        #expect(state.table.visibleCount == Fixtures.products.count)
    }

    @Test("/ followed by text in one burst goes to the filter")
    func slashThenText() {
        var state = loaded()
        state.type("/wine")
        #expect(state.table.filter.text == "wine")
        #expect(state.visibleNames == ["WINE GLASS"])
    }

    @Test("a filter that matches nothing shows no rows; the filter is bounded")
    func noMatch() {
        var state = loaded()
        state.type("/zzz")
        #expect(state.table.visibleCount == 0)
        #expect(state.table.selectedRow == nil)
        state.press(.control("U"))
        state.type(String(repeating: "x", count: 10_000))
        #expect(state.table.filter.isEmpty)
        #expect(state.message?.kind == .error)
    }

    @Test("j, k and the arrows move one row", arguments: [
        (Key.character("j"), 2), (.down, 2), (.character("k"), 0), (.up, 0),
    ])
    func moveOne(key: Key, expected: Int) {
        var state = loaded()
        state.press(.down)
        state.press(key)
        #expect(state.table.selected == expected)
    }

    @Test("Home/End and g/G")
    func jumps() {
        var state = loaded()
        state.press(.end)
        #expect(state.table.selected == Fixtures.products.count - 1)
        state.press(.home)
        #expect(state.table.selected == 0)
        state.press(.character("G"))
        #expect(state.table.selected == Fixtures.products.count - 1)
        state.press(.character("g"))
        #expect(state.table.selected == 0)
        state.press(.up)
        #expect(state.table.selected == 0)
    }

    @Test("PgDn and PgUp move a screenful, and the view scrolls with the selection")
    func paging() {
        var state = loaded(Fixtures.many(1_000))
        let page = state.layout.tableRows
        #expect(page == 26)  // 30 rows: title, heading, status, footer
        state.press(.pageDown)
        #expect(state.table.selected == page - 1)
        #expect(state.table.top == page - 1)
        state.press(.pageDown)
        #expect(state.table.selected == 2 * (page - 1))
        state.press(.pageUp)
        #expect(state.table.selected == page - 1)
        state.press(.character(" "))
        #expect(state.table.selected == 2 * (page - 1))
        state.press(.end)
        #expect(state.table.selected == 999)
        #expect(state.table.top == 1_000 - page)
        state.press(.pageDown)
        #expect(state.table.selected == 999)
        state.press(.home)
        #expect(state.table.top == 0)
        // Down past the bottom of the screen scrolls by one.
        for _ in 0..<page { state.press(.character("j")) }
        #expect(state.table.selected == page)
        #expect(state.table.top == 1)
    }

    @Test("a resize changes how many rows fit and keeps the selection in view")
    func resize() {
        var state = loaded(Fixtures.many(200))
        for _ in 0..<20 { state.press(.down) }
        #expect(state.table.top == 0)
        _ = state.handle(.resize(TerminalSize(columns: 80, rows: 24)))
        #expect(state.layout.placement == .bottom)
        #expect(state.table.viewportRows == state.layout.tableRows)
        #expect(state.table.selected == 20)
        #expect(state.table.selected < state.table.top + state.table.viewportRows)
        #expect(state.table.selected >= state.table.top)
        _ = state.handle(.resize(TerminalSize(columns: 40, rows: 10)))
        #expect(state.inputContext == .tooSmall)
        // Only quitting works while too small.
        state.press(.character("j"))
        #expect(state.table.selected == 20)
        _ = state.handle(.resize(TerminalSize(columns: 100, rows: 30)))
        #expect(state.inputContext == .table)
        #expect(state.press(.character("q")) == [.quit])
    }

    @Test("f flushes the user's entry, F every entry; the result is a message")
    func flush() {
        var state = loaded()
        #expect(state.press(.character("f")) == [.flushCache(user: "john_doe")])
        #expect(state.flushPending)
        #expect(state.press(.character("F")).isEmpty)  // one at a time
        _ = state.handle(.flushFinished(.flushed(user: "john_doe", removed: 1)))
        #expect(state.message == Message("Flushed john_doe's cached hash: the next login reads PostgreSQL.", .ok))
        #expect(state.press(.character("F")) == [.flushCache(user: nil)])
        _ = state.handle(.flushFinished(.failed("Redis: connection refused")))
        #expect(state.message?.kind == .error)
    }

    @Test("in remote mode, flushing says it is unavailable and asks for nothing")
    func remoteFlush() {
        let remote = ModeInfo(name: "remote", detail: "http://127.0.0.1:8080", canFlush: false,
                              flushUnavailableReason: "remote mode: the server owns the cache", latencyName: "round trip")
        var state = AppState.make(mode: remote)
        state.logInWithProducts(Fixtures.products)
        #expect(state.press(.character("f")).isEmpty)
        #expect(state.message == Message("Flushing is not available: remote mode: the server owns the cache.", .error))
        #expect(state.press(.character("F")).isEmpty)
    }

    @Test("b asks, Enter runs a burst of 20; samples arrive in order; a second b waits")
    func burst() {
        var state = loaded()
        #expect(state.press(.character("b")).isEmpty)
        #expect(state.inputContext == .prompt)
        #expect(state.press(.enter) == [.burst(count: 20, session: 1)])
        #expect(state.press(.character("b")).isEmpty)
        #expect(state.inputContext == .table)
        _ = state.handle(.burstProgress(session: 1, BurstSample(source: .postgres, latency: .milliseconds(2))))
        _ = state.handle(.burstProgress(session: 1, BurstSample(source: .redis, latency: .microseconds(60))))
        _ = state.handle(.burstProgress(session: 9, BurstSample(source: .redis, latency: .microseconds(60))))
        #expect(state.burst?.samples.map(\.source) == [.postgres, .redis])
        _ = state.handle(.burstFinished(session: 1, failure: nil))
        #expect(state.burst?.finished == true)
        #expect(!state.isBusy)
        #expect(state.press(.character("b")).isEmpty)
        #expect(state.press(.enter) == [.burst(count: 20, session: 1)])
        #expect(state.burst?.samples.isEmpty == true)
    }

    @Test("b asks for the size and concurrency: 50 4 runs 50 logins 4 at once; Enter then keeps them; nonsense is refused; Esc gives up")
    func burstSettings() {
        var state = loaded()
        state.press(.character("b"))
        state.type("50 4")
        #expect(Frame.render(state).line(state.layout.footerRow).contains("Burst: logins, at once (Enter: 20 1): 50 4"))
        #expect(state.press(.enter) == [.burst(count: 50, concurrency: 4, session: 1)])
        _ = state.handle(.burstFinished(session: 1, failure: nil))
        state.press(.character("b"))
        #expect(state.press(.enter) == [.burst(count: 50, concurrency: 4, session: 1)])
        _ = state.handle(.burstFinished(session: 1, failure: nil))
        state.press(.character("b"))
        state.type("0 99")
        #expect(state.press(.enter).isEmpty)
        #expect(state.message?.kind == .error)
        #expect(state.inputContext == .prompt)
        #expect(state.press(.escape).isEmpty)
        #expect(state.inputContext == .table)
        state.press(.character("b"))
        state.type("7")
        #expect(state.press(.enter) == [.burst(count: 7, concurrency: 4, session: 1)])
    }

    @Test("? opens the help over any screen, Esc or q closes it; t asks for the next theme")
    func helpAndTheme() {
        var state = loaded()
        state.press(.character("?"))
        #expect(state.inputContext == .help)
        state.press(.character("q"))
        #expect(state.help == nil)
        #expect(!state.quitting)
        state.press(.function(1))
        state.press(.escape)
        #expect(state.help == nil)
        #expect(state.press(.character("t")) == [.applyTheme("light")])
        _ = state.handle(.themeApplied(name: "light"))
        #expect(state.press(.character("t")) == [.applyTheme("monochrome")])
        _ = state.handle(.themeApplied(name: "monochrome"))
        #expect(state.press(.character("t")) == [.applyTheme("dark")])
        _ = state.handle(.themeFailed(name: "dark", message: "Theme /x/dark.theme:3: unknown role 'tabel'"))
        #expect(state.message == Message("Theme /x/dark.theme:3: unknown role 'tabel'", .error))
        #expect(state.themeName == "monochrome")
    }

    @Test("p hides and shows the panel; the table gets the room")
    func panelToggle() {
        var state = loaded()
        #expect(state.layout.placement == .right)
        let narrow = state.layout.main.width
        state.press(.character("p"))
        #expect(state.layout.panel == nil)
        #expect(state.layout.main.width == 100)
        #expect(state.layout.main.width > narrow)
        state.press(.character("p"))
        #expect(state.layout.placement == .right)
    }

    @Test("a message lasts until the next key")
    func messageLifetime() {
        var state = loaded()
        _ = state.handle(.flushFinished(.flushed(user: nil, removed: 3)))
        #expect(state.message == Message("Flushed 3 cached hashes.", .ok))
        state.press(.down)
        #expect(state.message == nil)
    }
}
