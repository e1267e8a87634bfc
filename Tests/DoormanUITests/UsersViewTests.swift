import DoormanCore
import Testing
@testable import DoormanUI

/// The users view (`u`) as a state machine, and its frames.
@Suite("Users view")
struct UsersViewTests {
    static let users = [
        UserSummary(username: "john_doe", version: 3, cached: true, cachedTimeToLiveMilliseconds: 281_000, accountFailures: 0, pairFailures: 0, locked: false),
        UserSummary(username: "mary_smith", version: 7, cached: false, cachedTimeToLiveMilliseconds: nil, accountFailures: 12, pairFailures: 10, locked: true),
        UserSummary(username: "zoë_ångström", version: 1, cached: false, cachedTimeToLiveMilliseconds: nil, accountFailures: 2, pairFailures: 2, locked: false),
    ]

    static func openView(columns: Int = 100, rows: Int = 30, mode: ModeInfo = AppState.local, load: Bool = true) -> (AppState, session: Int) {
        var state = AppState.make(columns: columns, rows: rows, mode: mode)
        state.logInWithProducts(Fixtures.products)
        _ = state.handle(.statisticsChanged(SnapshotTests.panel))
        let effects = state.type("u")
        guard case .loadUsers(let session)? = effects.first else {
            Issue.record("u did not ask for the users: \(effects)")
            return (state, 0)
        }
        if load { _ = state.handle(.usersLoaded(users)) }
        return (state, session)
    }

    @Test("u opens the view; Esc and u go back")
    func openAndClose() {
        var (state, _) = Self.openView()
        #expect(state.screen == .users)
        #expect(state.inputContext == .users)
        state.press(.escape)
        #expect(state.screen == .products)
        var (again, _) = Self.openView()
        again.type("u")
        #expect(again.screen == .products)
    }

    @Test("a asks a name, then a masked password; Enter adds; the password is gone from the state")
    func add() throws {
        var (state, session) = Self.openView()
        state.type("a")
        #expect(state.inputContext == .prompt)
        state.type("new_user")
        #expect(state.press(.enter).isEmpty)
        guard case .newPassword(let user, _)? = state.usersView.prompt else { Issue.record("no password prompt"); return }
        #expect(user == "new_user")
        state.type("s3cret-pass")
        let frame = SnapshotTests.text(Frame.render(state))
        #expect(!frame.contains("s3cret-pass"))
        #expect(frame.contains("Password for new_user: •••••••••••"))
        #expect(state.press(.enter).isEmpty)
        #expect(SnapshotTests.text(Frame.render(state)).contains("The same password again: "))
        state.type("s3cret-pass")
        #expect(state.press(.enter) == [.addUser(name: "new_user", password: "s3cret-pass", session: session)])
        #expect(state.usersView.prompt == nil)
        #expect(state.usersView.pending)
        #expect(!"\(state)".contains("s3cret-pass"))
        #expect(state.handle(.userChangeFinished(Message("Added new_user.", .ok), select: "new_user")) == [.loadUsers(session: session)])
        #expect(!state.usersView.pending)
        // Once listed, the new user is selected.
        _ = state.handle(.usersLoaded(Self.users + [UserSummary(username: "new_user", version: 9, cached: false, cachedTimeToLiveMilliseconds: nil, accountFailures: 0, pairFailures: 0, locked: false)]))
        #expect(state.usersView.selectedUser?.username == "new_user")
        _ = state.handle(.usersLoaded(Self.users + [UserSummary(username: "new_user", version: 9, cached: false, cachedTimeToLiveMilliseconds: nil, accountFailures: 0, pairFailures: 0, locked: false)]))
        #expect(state.usersView.selectedUser?.username == "new_user")
    }

    @Test("Esc gives up a prompt; the typed text goes with it")
    func cancel() {
        var (state, _) = Self.openView()
        state.press(.down)
        state.type("p")
        state.type("half-typed")
        #expect(state.press(.escape).isEmpty)
        #expect(state.usersView.prompt == nil)
        #expect(state.inputContext == .users)
        #expect(!"\(state)".contains("half-typed"))
    }

    @Test("p changes the selected user's password; U unlocks them")
    func passwordAndUnlock() {
        var (state, session) = Self.openView()
        state.press(.down)
        state.type("p")
        state.type("n3w")
        #expect(state.press(.enter).isEmpty)
        state.type("n3w")
        #expect(state.press(.enter) == [.setPassword(user: "mary_smith", password: "n3w", session: session)])
        _ = state.handle(.userChangeFinished(Message("Changed.", .ok), select: "mary_smith"))
        #expect(state.type("U") == [.unlock(user: "mary_smith", session: session)])
    }

    @Test("a password is asked twice; two that differ change nothing and ask again from the first")
    func passwordsThatDiffer() {
        var (state, session) = Self.openView()
        state.press(.down)
        state.type("p")
        state.type("n3w-pass")
        state.press(.enter)
        state.type("n3w-pasz")
        #expect(state.press(.enter).isEmpty, "nothing is changed")
        #expect(state.message?.text == "The two passwords differ: type it again.")
        guard case .changePassword(let user, let field)? = state.usersView.prompt else { Issue.record("not back at the first prompt"); return }
        #expect(user == "mary_smith" && field.isEmpty)
        #expect(!"\(state)".contains("n3w-pass"), "the first try is gone")
        state.type("n3w-pass")
        state.press(.enter)
        state.type("n3w-pass")
        #expect(state.press(.enter) == [.setPassword(user: "mary_smith", password: "n3w-pass", session: session)])
    }

    @Test("D asks y/N: only y deletes")
    func delete() {
        var (state, session) = Self.openView()
        state.press(.down)
        state.type("D")
        #expect(state.inputContext == .confirm)
        #expect(state.type("n").isEmpty)
        #expect(state.message?.text == "mary_smith was not deleted.")
        state.type("D")
        #expect(state.press(.enter).isEmpty)
        state.type("D")
        #expect(state.type("y") == [.deleteUser(user: "mary_smith", session: session)])
    }

    @Test("remote mode: the changes say why they are not here; unlock still works")
    func remote() {
        let mode = ModeInfo(name: "remote", detail: "http://127.0.0.1:8080", canFlush: false, latencyName: "round trip",
                            userChangesUnavailableReason: "remote mode: add, change and delete users where the server runs (doorman user …)")
        var (state, session) = Self.openView(mode: mode)
        #expect(state.type("a").isEmpty)
        #expect(state.usersView.prompt == nil)
        #expect(state.message?.text.contains("remote mode") == true)
        #expect(state.type("U") == [.unlock(user: "john_doe", session: session)])
    }

    @Test("the users view, 80×24")
    func snapshot80() throws {
        try SnapshotTests.check(Self.openView(columns: 80, rows: 24).0, "users-view-80x24")
    }

    @Test("the users view with the delete question, 120×36")
    func snapshot120() throws {
        var (state, _) = Self.openView(columns: 120, rows: 36)
        state.press(.down)
        state.type("D")
        try SnapshotTests.check(state, "users-view-delete-120x36")
    }

    @Test("the users view typing a password, 80×24")
    func snapshotPassword() throws {
        var (state, _) = Self.openView(columns: 80, rows: 24)
        state.type("p")
        state.type("abc")
        try SnapshotTests.check(state, "users-view-password-80x24")
    }
}
