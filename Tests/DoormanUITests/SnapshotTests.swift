import DoormanCore
import Foundation
import Testing
@testable import DoormanUI

/// Whole frames rendered as text at fixed sizes, compared with the files in
/// `Snapshots/`. After a deliberate change, regenerate them with
/// `UPDATE_SNAPSHOTS=1 swift test --filter SnapshotTests` and review the diff.
@Suite("Snapshots")
struct SnapshotTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    /// The frame as text inside a frame of `|` and `-`, so widths are visible.
    static func text(_ buffer: ScreenBuffer) -> String {
        let width = buffer.size.columns
        var lines = ["+" + String(repeating: "-", count: width) + "+"]
        for y in 0..<buffer.size.rows {
            let line = buffer.line(y)
            lines.append("|" + line + String(repeating: " ", count: max(0, width - DisplayWidth.of(line))) + "|")
        }
        lines.append(lines[0])
        if let cursor = buffer.cursor { lines.append("cursor: \(cursor.x),\(cursor.y)") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func check(_ state: AppState, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let actual = text(Frame.render(state))
        let file = directory.appendingPathComponent("\(name).txt")
        if ProcessInfo.processInfo.environment["UPDATE_SNAPSHOTS"] == "1" {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try actual.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
            Issue.record("no snapshot \(name).txt: run UPDATE_SNAPSHOTS=1 swift test --filter SnapshotTests", sourceLocation: sourceLocation)
            return
        }
        if actual != expected {
            // Outside the source tree: a failed run leaves nothing to commit by mistake.
            let failures = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("doorman-snapshots")
            try? FileManager.default.createDirectory(at: failures, withIntermediateDirectories: true)
            let actualFile = failures.appendingPathComponent("\(name).actual.txt")
            try? actual.write(to: actualFile, atomically: true, encoding: .utf8)
            Issue.record("the frame differs from \(name).txt (see \(actualFile.path)):\n\(actual)", sourceLocation: sourceLocation)
        }
    }

    /// A panel with some history, as the gatherer makes it.
    static var panel: PanelSnapshot {
        var panel = PanelSnapshot()
        panel.authenticated = [.redis: 12, .postgres: 3]
        panel.rejected = 1
        panel.flushes = 1
        panel.hitRatio = 0.8
        panel.latencies = [.redis: [0.05, 0.06, 0.04, 0.05, 0.07, 0.05], .postgres: [2.1, 1.9, 2.4]]
        panel.recent = [
            .init(time: "14:03:27", username: "john_doe", result: .authenticated(.redis), latency: .microseconds(50), origin: "terminal"),
            .init(time: "14:03:21", username: "mary_smith", result: .authenticated(.redis), latency: .microseconds(70), origin: "http"),
            .init(time: "14:03:20", username: "john_doe", result: .rejected, latency: .microseconds(40), origin: "http"),
            .init(time: "14:03:02", username: "john_doe", result: .authenticated(.postgres), latency: .microseconds(1900), origin: "terminal"),
        ]
        return panel
    }

    static func productsState(columns: Int, rows: Int) -> AppState {
        var state = AppState.make(columns: columns, rows: rows)
        state.logInWithProducts(Fixtures.products)
        _ = state.handle(.statisticsChanged(panel))
        return state
    }

    @Test("the login form, 100×30")
    func login() throws {
        var state = AppState.make()
        _ = state.handle(.statisticsChanged(Self.panel))
        state.type("john_doe")
        state.press(.tab)
        state.type("secret")
        try Self.check(state, "login-100x30")
    }

    @Test("a failed login, 80×24")
    func loginFailed() throws {
        var state = AppState.make(columns: 80, rows: 24)
        _ = state.logIn(password: "wrong", answer: .rejected)
        try Self.check(state, "login-failed-80x24")
    }

    @Test("an outage while logging in, 60×15")
    func loginOutage() throws {
        var state = AppState.make(columns: 60, rows: 15)
        _ = state.logIn(answer: .unavailable(AuthOutcome.unavailableMessage))
        try Self.check(state, "login-outage-60x15")
    }

    @Test("logging in: the spinner, 100×30")
    func loggingIn() throws {
        var state = AppState.make()
        state.type("john_doe")
        state.press(.tab)
        state.type("secret")
        state.press(.enter)
        _ = state.handle(.tick)
        try Self.check(state, "login-pending-100x30")
    }

    @Test("the products with the panel at the right, 100×30")
    func products() throws {
        var state = Self.productsState(columns: 100, rows: 30)
        state.press(.down)
        try Self.check(state, "products-100x30")
    }

    @Test("the products with the panel at the bottom, 80×24")
    func productsNarrow() throws {
        try Self.check(Self.productsState(columns: 80, rows: 24), "products-80x24")
    }

    @Test("the products at the minimum size, 60×15")
    func productsSmall() throws {
        try Self.check(Self.productsState(columns: 60, rows: 15), "products-60x15")
    }

    @Test("too small, 40×10")
    func tooSmall() throws {
        try Self.check(Self.productsState(columns: 40, rows: 10), "too-small-40x10")
    }

    @Test("filtering, sorted by price descending, 100×30")
    func filtering() throws {
        var state = Self.productsState(columns: 100, rows: 30)
        state.press(.character("3"))
        state.press(.character("3"))
        state.type("/bowl")
        try Self.check(state, "filter-100x30")
    }

    @Test("a search being typed: every row stays, the selection on the first match, matches highlighted, 120×36")
    func searchTyping() throws {
        var state = Self.productsState(columns: 120, rows: 36)
        state.press(.down)
        state.press(.character("n"))
        state.type("bowl")
        #expect(state.selectedName == "ラーメン RAMEN BOWL")
        try Self.check(state, "search-120x36")
    }

    @Test("a kept search after n: the footer says which match of how many, 80×24")
    func searchKept() throws {
        var state = AppState.make(columns: 80, rows: 24)
        state.logInWithProducts(Fixtures.many(453))
        _ = state.handle(.statisticsChanged(Self.panel))
        state.press(.character("n"))
        state.type("smoked water")
        state.press(.enter)
        state.press(.character("n"))
        state.press(.character("n"))
        #expect(Frame.render(state).line(state.layout.footerRow).contains("match 3 of"))
        try Self.check(state, "search-80x24")
    }

    @Test("a burst after a flush: PostgreSQL first, then Redis, 100×30")
    func burst() throws {
        var state = Self.productsState(columns: 100, rows: 30)
        state.press(.character("b"))
        state.press(.enter)
        _ = state.handle(.burstProgress(session: 1, BurstSample(source: .postgres, latency: .microseconds(1920))))
        for index in 0..<19 {
            _ = state.handle(.burstProgress(session: 1, BurstSample(source: .redis, latency: .microseconds(50 + (index % 3) * 10))))
        }
        _ = state.handle(.burstFinished(session: 1, failure: nil))
        _ = state.handle(.flushFinished(.flushed(user: "john_doe", removed: 1)))
        try Self.check(state, "burst-100x30")
    }

    @Test("remote mode: the store the server reported, flushing unavailable, 100×30")
    func remote() throws {
        let mode = ModeInfo(name: "remote", detail: "http://127.0.0.1:8080", canFlush: false,
                            flushUnavailableReason: "remote mode: the server owns the cache", latencyName: "round trip")
        var state = AppState.make(mode: mode)
        _ = state.logIn(answer: .authenticated(Authentication(username: "john_doe", source: .redis, timing: .remote(roundTrip: .microseconds(3100), server: "http://127.0.0.1:8080"))))
        _ = state.handle(.productsLoaded(session: 1, ProductRows(Fixtures.products)))
        var panel = PanelSnapshot()
        panel.scope = "this client"
        panel.authenticated = [.redis: 1]
        panel.hitRatio = 1
        _ = state.handle(.statisticsChanged(panel))
        try Self.check(state, "remote-100x30")
    }

    @Test("the status line when Redis could not be used, and the hosted server in the panel, 100×30")
    func cacheUnavailable() throws {
        var state = AppState.make()
        _ = state.logIn(answer: .authenticated(Authentication(username: "john_doe", source: .postgres, cacheUnavailable: true, timing: .local(lookup: .milliseconds(3), bcrypt: .milliseconds(46)))))
        _ = state.handle(.productsLoaded(session: 1, ProductRows(Fixtures.products)))
        var panel = Self.panel
        panel.cacheUnavailable = 2
        panel.server = PanelSnapshot.HostedServer(url: "http://127.0.0.1:8080", responses: [200: 14, 401: 1])
        _ = state.handle(.statisticsChanged(panel))
        try Self.check(state, "cache-unavailable-100x30")
    }

    @Test("the panel with the memory tier on: every store's count shows whole, 100×30 and 120×36", arguments: [(100, 30), (120, 36)])
    func memoryTier(_ size: (Int, Int)) throws {
        var state = Self.productsState(columns: size.0, rows: size.1)
        var panel = Self.panel
        panel.stores = [.redis, .postgres, .memory]
        panel.authenticated[.memory] = 7
        _ = state.handle(.statisticsChanged(panel))
        let frame = Frame.render(state)
        let text = (0..<frame.size.rows).map { frame.line($0) }.joined(separator: "\n")
        #expect(text.contains("Redis 12"))
        #expect(text.contains("PostgreSQL 3"))
        #expect(text.contains("Memory 7"))
        try Self.check(state, "memory-tier-\(size.0)x\(size.1)")
    }

    @Test("at 60×15 (no panel) a burst shows its progress in the status line and its result in the footer")
    func burstSmall() throws {
        var state = Self.productsState(columns: 60, rows: 15)
        #expect(state.layout.panel == nil)
        state.press(.character("b"))
        state.press(.enter)
        _ = state.handle(.burstProgress(session: 1, BurstSample(source: .postgres, latency: .microseconds(1920))))
        #expect(Frame.render(state).line(state.layout.statusRow).contains("burst 1/20"))
        for _ in 0..<19 { _ = state.handle(.burstProgress(session: 1, BurstSample(source: .redis, latency: .microseconds(50)))) }
        _ = state.handle(.burstFinished(session: 1, failure: nil))
        let footer = Frame.render(state).line(state.layout.footerRow)
        #expect(footer.contains("Burst: PostgreSQL 1×1.9, Redis 19×0.05 ms"), "\(footer)")
        #expect(footer.contains("q quit"))
        try Self.check(state, "burst-60x15")
    }

    @Test("a filter that matches nothing says so, in the table and in the footer; the position counts rows")
    func noMatch() {
        var state = Self.productsState(columns: 100, rows: 30)
        state.press(.down)
        #expect(Frame.render(state).line(state.layout.footerRow).contains("row 2/12"))
        state.type("/zzzz")
        let frame = Frame.render(state)
        let text = (0..<frame.size.rows).map { frame.line($0) }.joined(separator: "\n")
        #expect(text.contains("No product matches “zzzz”."))
        #expect(frame.line(state.layout.footerRow).contains("no match of 12"))
    }

    @Test("the one-key demo: the two logins side by side, and a summary in the footer, 100×30")
    func demo() throws {
        var state = Self.productsState(columns: 100, rows: 30)
        #expect(state.press(.character("d")) == [.demo(session: 1)])
        #expect(state.press(.character("d")) == [])  // one at a time
        _ = state.handle(.demoProgress(session: 1, DemoLogin(source: .postgres, lookup: .microseconds(1900), bcrypt: .microseconds(2900), total: .microseconds(5200))))
        _ = state.handle(.demoProgress(session: 1, DemoLogin(source: .redis, lookup: .microseconds(60), bcrypt: .microseconds(2800), total: .microseconds(3100))))
        _ = state.handle(.demoFinished(session: 1, failure: nil))
        #expect(state.message == Message("Demo: 1st PostgreSQL 1.9 ms, 2nd Redis 0.06 ms (lookups)", .ok))
        let frame = Frame.render(state)
        let text = (0..<frame.size.rows).map { frame.line($0) }.joined(separator: "\n")
        #expect(text.contains("Demo: flush, log in, log in again"))
        try Self.check(state, "demo-100x30")
        // Remote: the demo needs a flush, and says so.
        var remote = AppState.make(mode: ModeInfo(name: "remote", detail: "http://127.0.0.1:8080", canFlush: false, flushUnavailableReason: "remote mode: the server owns the cache"))
        remote.logInWithProducts(Fixtures.products)
        #expect(remote.press(.character("d")) == [])
        #expect(remote.message?.text.contains("remote mode") == true)
    }

    @Test("Enter opens the selected product's detail, ↓ moves it to the next, Esc closes it, 100×30")
    func detail() throws {
        var state = Self.productsState(columns: 100, rows: 30)
        state.press(.down)
        state.press(.down)
        state.press(.enter)
        #expect(state.detailOpen)
        state.press(.down)
        #expect(state.selectedName == "CRÈME BRÛLÉE RAMEKIN")
        let text = (0..<30).map { Frame.render(state).line($0) }.joined(separator: "\n")
        #expect(text.contains("Product 4"))
        try Self.check(state, "detail-100x30")
        state.press(.escape)
        #expect(!state.detailOpen)
        state.press(.enter)
        state.press(.enter)
        #expect(!state.detailOpen)
    }

    @Test("a scroll bar and the row position when the rows do not fit, 80×24")
    func scrollBar() throws {
        var state = AppState.make(columns: 80, rows: 24)
        state.logInWithProducts(Fixtures.many(453))
        state.press(.pageDown)
        state.press(.pageDown)
        #expect(Frame.render(state).line(state.layout.footerRow).contains("/453"))
        try Self.check(state, "scroll-80x24")
    }

    @Test("the help, generated from the keymap, 100×30")
    func help() throws {
        var state = Self.productsState(columns: 100, rows: 30)
        state.press(.character("?"))
        try Self.check(state, "help-100x30")
    }

    @Test("the status line says who and which store, literally")
    func statusWords() {
        var state = Self.productsState(columns: 100, rows: 30)
        let frame = Frame.render(state)
        #expect(frame.line(28) == " john_doe · Authenticated by PostgreSQL · lookup 1.9 ms · bcrypt 46.0 ms")
        // The store's words are drawn in the store's role.
        let start = frame.line(28).distance(from: frame.line(28).startIndex, to: frame.line(28).range(of: "Authenticated")!.lowerBound)
        #expect(frame[start, 28].role == .status(.postgres))
        _ = state.handle(.statisticsChanged(PanelSnapshot()))
        #expect(Frame.render(state).line(28).contains("Authenticated by PostgreSQL"))
    }
}
