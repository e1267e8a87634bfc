import DoormanCore
import Testing
@testable import DoormanUI

/// The cache view (`c`) as a state machine, and its frames.
@Suite("Cache view")
struct CacheViewTests {
    static let entries = [
        CachedCredential(username: "john_doe", version: 3, currentVersion: 3, timeToLiveMilliseconds: 299_400, state: .valid),
        CachedCredential(username: "mary_smith", version: 1, currentVersion: 2, timeToLiveMilliseconds: 41_000, state: .stale),
        CachedCredential(username: "old_timer", version: 1, currentVersion: nil, timeToLiveMilliseconds: 5_000, state: .orphaned),
    ]
    static let counters = [
        ThrottleCounter(kind: .account, username: "mary_smith", subject: "3fa9c2d1", count: 4, timeToLiveMilliseconds: 3_540_000),
        ThrottleCounter(kind: .pair, username: nil, subject: "0b1c2d3e", count: 2, timeToLiveMilliseconds: 871_000),
        ThrottleCounter(kind: .client, username: nil, subject: "77aa0c19", count: 6, timeToLiveMilliseconds: 871_000),
    ]

    /// Logged in, products loaded, the cache view open with `entries` and `counters`.
    static func openView(columns: Int = 100, rows: Int = 30, load: Bool = true) -> (AppState, session: Int) {
        var state = SnapshotTests.productsState(columns: columns, rows: rows)
        let effects = state.type("c")
        guard case .loadCacheView(let session)? = effects.first else {
            Issue.record("c did not ask for the cache view: \(effects)")
            return (state, 0)
        }
        if load { _ = state.handle(.cacheViewLoaded(entries: entries, counters: counters)) }
        return (state, session)
    }

    @Test("c opens the view and reads Redis; c and Esc go back to the products")
    func openAndClose() {
        var (state, _) = Self.openView()
        #expect(state.screen == .cache)
        #expect(state.inputContext == .cache)
        #expect(state.cacheView.rows.count == 6)
        state.type("c")
        #expect(state.screen == .products)
        _ = Self.openView()
        var (again, _) = Self.openView()
        again.press(.escape)
        #expect(again.screen == .products)
        #expect(again.inputContext == .table)
    }

    @Test("not from the login form: c types there")
    func notFromLogin() {
        var state = AppState.make()
        let effects = state.type("c")
        #expect(effects.isEmpty)
        #expect(state.screen == .login)
        #expect(state.login.username.text == "c")
    }

    @Test("x flushes the selected entry; on a known account's counter it unlocks; an unknown one says why not")
    func flushAndUnlock() {
        var (state, session) = Self.openView()
        state.press(.down)
        #expect(state.press(.character("x")) == [.flushEntry(user: "mary_smith", session: session)])
        #expect(state.flushPending)
        #expect(state.handle(.flushFinished(.flushed(user: "mary_smith", removed: 1))) == [.loadCacheView(session: session)])
        #expect(state.message?.kind == .ok)
        // The account counter of mary_smith (row 4): x and U both unlock.
        state.press(.down); state.press(.down)
        #expect(state.press(.character("x")) == [.unlock(user: "mary_smith", session: session)])
        #expect(state.type("U") == [.unlock(user: "mary_smith", session: session)])
        #expect(state.handle(.unlockFinished(user: "mary_smith", removed: 2, failure: nil)) == [.loadCacheView(session: session)])
        #expect(state.message?.text == "Unlocked mary_smith (2 counters cleared).")
        // An unknown user's pair counter: no name to unlock by, and no name shown.
        state.press(.down)
        #expect(state.press(.character("x")).isEmpty)
        #expect(state.type("U").isEmpty)
        #expect(state.message?.text.contains("Not a known user") == true)
    }

    @Test("the selection follows its row across refreshes; a failed refresh keeps the rows")
    func refresh() {
        var (state, _) = Self.openView()
        state.press(.down)  // mary_smith's entry
        _ = state.handle(.cacheViewLoaded(entries: Array(Self.entries.reversed()), counters: Self.counters))
        #expect(state.cacheView.selectedRow?.username == "mary_smith")
        _ = state.handle(.cacheViewFailed("Redis: connection refused"))
        #expect(state.cacheView.rows.count == 6)
        #expect(state.cacheView.error == "Redis: connection refused")
        // After the view is closed, late answers are ignored.
        state.press(.escape)
        _ = state.handle(.cacheViewLoaded(entries: [], counters: []))
        #expect(state.cacheView.rows.isEmpty)
        #expect(state.screen == .products)
    }

    @Test("time left: seconds, minutes, hours, and never")
    func timeLeft() {
        #expect(CacheViewState.timeLeft(milliseconds: 299_400) == "5m00s")
        #expect(CacheViewState.timeLeft(milliseconds: 298_400) == "4m59s")
        #expect(CacheViewState.timeLeft(milliseconds: 41_000) == "41s")
        #expect(CacheViewState.timeLeft(milliseconds: 3_540_000) == "59m00s")
        #expect(CacheViewState.timeLeft(milliseconds: 3_720_000) == "1h02m")
        #expect(CacheViewState.timeLeft(milliseconds: nil) == "∞")
        #expect(CacheViewState.timeLeft(milliseconds: 1) == "1s")
    }

    @Test("an unknown user's counter shows its HMAC prefix, never a name")
    func unknownUser() {
        #expect(Self.counters[1].who == "(unknown user) 0b1c2d3e")
        #expect(Self.counters[2].who == "(client) 77aa0c19")
    }

    @Test("the help lists the cache view's keys")
    func help() {
        let sections = Keymap.standard.helpSections(mode: AppState.local)
        let cache = sections.first { $0.title == InputContext.cache.title }
        #expect(cache?.lines.contains { $0.keys == "x Del" } == true)
        #expect(cache?.lines.contains { $0.keys == "U" } == true)
    }

    // MARK: Frames

    @Test("the cache view, 80×24")
    func snapshot80() throws {
        try SnapshotTests.check(Self.openView(columns: 80, rows: 24).0, "cache-view-80x24")
    }

    @Test("the cache view, 120×36")
    func snapshot120() throws {
        try SnapshotTests.check(Self.openView(columns: 120, rows: 36).0, "cache-view-120x36")
    }

    @Test("the cache view while Redis is read, and when it is empty, 80×24")
    func snapshotEmpty() throws {
        var (state, _) = Self.openView(columns: 80, rows: 24, load: false)
        try SnapshotTests.check(state, "cache-view-loading-80x24")
        _ = state.handle(.cacheViewLoaded(entries: [], counters: []))
        try SnapshotTests.check(state, "cache-view-empty-80x24")
    }

    @Test("the cache view when the admin API is off, 120×36")
    func snapshotRemoteOff() throws {
        var (state, _) = Self.openView(columns: 120, rows: 36, load: false)
        _ = state.handle(.cacheViewFailed("admin API off on the server (doorman serve --admin-users)"))
        try SnapshotTests.check(state, "cache-view-admin-off-120x36")
    }
}

/// `O`: the embedded Redis stopped and started for real.
@Suite("Embedded Redis switch")
struct EmbeddedRedisSwitchTests {
    @Test("O stops, then starts, the embedded Redis; one change at a time; not without the embedded stack")
    func toggle() {
        let mode = ModeInfo(name: "local", detail: "embedded PostgreSQL · embedded Redis", canBypassCache: true, canStopEmbeddedRedis: true)
        var state = AppState.make(mode: mode)
        state.logInWithProducts(Fixtures.products)
        #expect(state.type("O") == [.setEmbeddedRedis(running: false)])
        #expect(state.type("O").isEmpty)  // still stopping
        _ = state.handle(.embeddedRedisChanged(running: false, failure: nil))
        #expect(state.message?.text.contains("logins read PostgreSQL") == true)
        #expect(state.type("O") == [.setEmbeddedRedis(running: true)])
        _ = state.handle(.embeddedRedisChanged(running: true, failure: "redis-server did not start"))
        #expect(state.message?.kind == .error)
        #expect(state.type("O") == [.setEmbeddedRedis(running: true)])

        var other = SnapshotTests.productsState(columns: 100, rows: 30)
        #expect(other.type("O").isEmpty)
        #expect(other.message?.text.contains("embedded stack") == true)
    }
}
