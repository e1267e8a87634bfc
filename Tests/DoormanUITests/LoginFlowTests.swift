import DoormanCore
import Testing
@testable import DoormanUI

/// The login form as a state machine: keys in, state and effects out.
@Suite("Login form")
struct LoginFlowTests {
    @Test("typing goes to the username; Tab, Shift-Tab and the arrows move between the fields")
    func focus() {
        var state = AppState.make()
        #expect(state.inputContext == .login)
        state.type("john_doe")
        #expect(state.login.username.text == "john_doe")
        #expect(state.login.focus == .username)
        state.press(.tab)
        #expect(state.login.focus == .password)
        state.press(.tab)
        #expect(state.login.focus == .username)
        state.press(.backTab)
        #expect(state.login.focus == .password)
        state.press(.up)
        #expect(state.login.focus == .username)
        state.press(.down)
        #expect(state.login.focus == .password)
        state.type("secret")
        #expect(state.login.password.text == "secret")
        #expect(state.login.username.text == "john_doe")
    }

    @Test("in the form, q and other command letters are text, not commands")
    func lettersAreText() {
        var state = AppState.make()
        let effects = state.type("q")
        state.typeKeys("fbl?")
        #expect(effects.isEmpty)
        #expect(!state.quitting)
        #expect(state.login.username.text == "qfbl?")
        #expect(state.help == nil)
    }

    @Test("Esc clears the form and puts the cursor back in the username")
    func escape() {
        var state = AppState.make()
        state.type("john_doe")
        state.press(.tab)
        state.type("secret")
        state.press(.escape)
        #expect(state.login.username.isEmpty)
        #expect(state.login.password.isEmpty)
        #expect(state.login.focus == .username)
    }

    @Test("Enter sends the credentials once and clears the password from the state")
    func submit() throws {
        var state = AppState.make()
        state.type("john_doe")
        state.press(.tab)
        state.type("EXAMPLE_PASSWORD")
        let effects = state.press(.enter)
        #expect(effects == [.login(try Credentials(username: "john_doe", password: "EXAMPLE_PASSWORD"), session: 1)])
        #expect(state.pendingLogin == 1)
        #expect(state.login.password.isEmpty)
        #expect(state.isBusy)
        // While the login runs, the form takes no input and Enter sends nothing more.
        #expect(state.press(.enter).isEmpty)
        state.type("x")
        #expect(state.login.username.text == "john_doe")
    }

    @Test("an empty field is not sent: the cursor goes to it")
    func emptyFields() {
        var state = AppState.make()
        #expect(state.press(.enter).isEmpty)
        #expect(state.login.focus == .username)
        state.type("john_doe")
        #expect(state.press(.enter).isEmpty)
        #expect(state.login.focus == .password)
        #expect(state.loginFeedback == Message("Type the password.", .info))
    }

    @Test("success shows the products screen and asks for the products")
    func success() {
        var state = AppState.make()
        let effects = state.logIn()
        #expect(effects == [.loadProducts(session: 1)])
        #expect(state.screen == .products)
        #expect(state.session?.authentication.source == .postgres)
        #expect(state.session?.authentication.verdict == "Authenticated by PostgreSQL")
        #expect(state.productsLoading)
        #expect(state.login.username.isEmpty)
        #expect(state.inputContext == .table)
    }

    @Test("every kind of failure is the one message 'Authentication failed.'")
    func failure() {
        var state = AppState.make()
        let effects = state.logIn(password: "wrong", answer: .rejected)
        #expect(effects.isEmpty)
        #expect(state.screen == .login)
        #expect(state.loginFeedback == Message("Authentication failed.", .error))
        #expect(state.login.username.text == "john_doe")
        #expect(state.login.password.isEmpty)
        #expect(state.login.focus == .password)
        #expect(state.session == nil)
    }

    @Test("an outage says so, and never 'Authentication failed.'")
    func outage() {
        var state = AppState.make()
        _ = state.logIn(answer: .unavailable(AuthOutcome.unavailableMessage))
        #expect(state.loginFeedback == Message(AuthOutcome.unavailableMessage, .error))
        #expect(state.loginFeedback?.text != AuthOutcome.failureMessage)
        #expect(state.screen == .login)
    }

    @Test("an answer to an older attempt is ignored")
    func staleAnswer() {
        var state = AppState.make()
        state.type("john_doe")
        state.press(.tab)
        state.type("pw")
        _ = state.press(.enter)
        #expect(state.handle(.loginFinished(session: 7, .rejected)).isEmpty)
        #expect(state.pendingLogin == 1)
        #expect(state.loginFeedback == nil)
    }

    @Test("the username is bounded at 50 characters; one more is refused, not cut")
    func usernameBound() {
        var state = AppState.make()
        state.type(String(repeating: "a", count: 50))
        #expect(state.login.username.text.count == 50)
        state.type("b")
        #expect(state.login.username.text == String(repeating: "a", count: 50))
        #expect(state.loginFeedback == Message("The username is at most 50 characters.", .error))
    }

    @Test("a 10 KB paste is refused whole: the field is unchanged")
    func pasteRefused() {
        var state = AppState.make()
        state.type("john")
        state.type(String(repeating: "x", count: 10_240))
        #expect(state.login.username.text == "john")
        #expect(state.loginFeedback == Message("Paste refused: it does not fit the username (at most 50 characters).", .error))
        state.press(.tab)
        state.type(String(repeating: "p", count: 10_240))
        #expect(state.login.password.isEmpty)
        #expect(state.loginFeedback?.text.contains("at most 72 bytes") == true)
    }

    @Test("the password is bounded in bytes (bcrypt's 72), not characters")
    func passwordBytes() {
        var state = AppState.make()
        state.press(.tab)
        state.type(String(repeating: "é", count: 36))  // 72 bytes
        #expect(state.login.password.text.utf8.count == 72)
        state.type("a")
        #expect(state.login.password.text.utf8.count == 72)
    }

    @Test("text with control characters is refused")
    func controlCharacters() {
        var state = AppState.make()
        state.type("john\u{1B}[31m")
        #expect(state.login.username.isEmpty)
        #expect(state.loginFeedback == Message("Paste refused: it contains control characters.", .error))
    }

    @Test("editing: cursor keys, Backspace, Delete, Home, End, Ctrl-U")
    func editing() {
        var state = AppState.make()
        state.type("jon_doe")
        state.press(.home)
        state.press(.right)
        state.press(.right)
        state.type("h")
        #expect(state.login.username.text == "john_doe")
        state.press(.end)
        state.press(.backspace)
        #expect(state.login.username.text == "john_do")
        state.press(.home)
        state.press(.delete)
        #expect(state.login.username.text == "ohn_do")
        state.press(.control("U"))
        #expect(state.login.username.isEmpty)
    }

    @Test("logging out drops the session and the products, and forgets the credentials")
    func logout() {
        var state = AppState.make()
        state.logInWithProducts(Fixtures.products)
        #expect(state.table.rows.count == Fixtures.products.count)
        let effects = state.press(.character("l"))
        #expect(effects == [.forgetCredentials])
        #expect(state.login.focus == .password)
        #expect(state.screen == .login)
        #expect(state.session == nil)
        #expect(state.table.rows.count == 0)
        #expect(state.loginFeedback == Message("john_doe logged out.", .info))
        // Products that arrive for the old session are dropped.
        #expect(state.handle(.productsLoaded(session: 1, ProductRows(Fixtures.products))).isEmpty)
        #expect(state.table.rows.count == 0)
    }

    @Test("logging out keeps the username and clears only the password; the cursor waits in the password")
    func logoutKeepsUsername() {
        var state = AppState.make()
        state.logInWithProducts(Fixtures.products)
        state.press(.character("l"))
        #expect(state.login.username.text == "john_doe")
        #expect(state.login.password.isEmpty)
        #expect(state.login.focus == .password)
        // Typing the password and Enter logs in again: no retyping of the name.
        state.type("EXAMPLE_PASSWORD")
        guard case .login(let credentials, _)? = state.press(.enter).first else {
            Issue.record("no login")
            return
        }
        #expect(credentials.username == "john_doe")
    }

    @Test("a pasted password that ends in one newline is taken without it; two, or one inside, are still refused")
    func pastedNewline() {
        var state = AppState.make()
        state.type("john_doe")
        state.press(.tab)
        state.type("EXAMPLE_PASSWORD\n")
        #expect(state.login.password.text == "EXAMPLE_PASSWORD")
        #expect(state.loginFeedback == nil)
        state.press(.control("U"))
        state.type("EXAMPLE_PASSWORD\r\n")
        #expect(state.login.password.text == "EXAMPLE_PASSWORD")
        state.press(.control("U"))
        state.type("EXAMPLE\nPASSWORD")
        #expect(state.login.password.isEmpty)
        state.type("EXAMPLE\n\n")
        #expect(state.login.password.isEmpty)
    }

    @Test("Esc cancels a login in progress: the form is free again and the late answer is ignored")
    func cancelLogin() {
        var state = AppState.make()
        state.type("john_doe")
        state.press(.tab)
        state.type("EXAMPLE_PASSWORD")
        guard case .login(_, let attempt)? = state.press(.enter).first else {
            Issue.record("no login")
            return
        }
        #expect(state.pendingLogin == attempt)
        #expect(state.press(.escape) == [.cancelLogin(session: attempt)])
        #expect(state.pendingLogin == nil)
        #expect(state.loginFeedback == Message("Login cancelled.", .info))
        #expect(state.login.username.text == "john_doe")
        let late = LoginResult.authenticated(Authentication(username: "john_doe", source: .postgres, timing: .local(lookup: .milliseconds(2), bcrypt: .milliseconds(46))))
        #expect(state.handle(.loginFinished(session: attempt, late)).isEmpty)
        #expect(state.screen == .login)
        #expect(state.session == nil)
    }

    @Test("Esc stops a running burst (the session stays); l stops it and logs out")
    func stopBurst() {
        var state = AppState.make()
        state.logInWithProducts(Fixtures.products)
        #expect(state.press(.character("b")).isEmpty)  // asks first
        #expect(state.press(.enter) == [.burst(count: AppState.burstSize, session: 1)])
        _ = state.handle(.burstProgress(session: 1, BurstSample(source: .redis, latency: .microseconds(50))))
        #expect(state.press(.escape) == [.stopBurst])
        #expect(state.burst?.finished == true)
        #expect(state.message == Message("Burst stopped after 1 of 20 logins.", .info))
        #expect(state.screen == .products)
        // Late progress is ignored.
        _ = state.handle(.burstProgress(session: 1, BurstSample(source: .redis, latency: .microseconds(50))))
        #expect(state.burst?.samples.count == 1)
        // A second Esc clears the filter as before (no burst runs).
        #expect(state.press(.escape) == [])
        state.press(.character("b"))
        state.press(.enter)
        #expect(state.press(.character("l")) == [.stopBurst, .forgetCredentials])
        #expect(state.loginFeedback == Message("Burst stopped; john_doe logged out.", .info))
    }

    @Test("--no-cache says 'cache off', not 'cache unavailable' as for a fault")
    func cacheOff() {
        let mode = ModeInfo(name: "local", detail: "embedded PostgreSQL · no cache", canFlush: false,
                            flushUnavailableReason: "the cache is off (--no-cache)", cacheOff: true)
        var state = AppState.make(mode: mode)
        _ = state.logIn()
        let status = Frame.render(state).line(state.layout.statusRow)
        #expect(status.contains("cache off"))
        #expect(!status.contains("unavailable"))
    }

    @Test("o takes Redis out of this UI's path and puts it back; the next login says 'cache off by you'")
    func cacheBypass() {
        let mode = ModeInfo(name: "local", detail: "embedded PostgreSQL · embedded Redis", canBypassCache: true)
        var state = AppState.make(mode: mode)
        state.logInWithProducts(Fixtures.products)
        _ = state.handle(.healthChanged([StoreStatus(name: "PostgreSQL", state: .up), StoreStatus(name: "Redis", state: .up)]))
        #expect(state.press(.character("o")) == [.setCacheBypassed(true)])
        #expect(state.cacheBypassed)
        #expect(state.health.last?.state == .offByYou)
        #expect(state.message?.text.contains("next login reads PostgreSQL") == true)
        state.press(.character("l"))
        state.type("EXAMPLE_PASSWORD")
        guard case .login(_, let attempt)? = state.press(.enter).first else {
            Issue.record("no login")
            return
        }
        let bypassed = LoginResult.authenticated(Authentication(username: "john_doe", source: .postgres, cacheBypassed: true,
                                                                timing: .local(lookup: .milliseconds(2), bcrypt: .milliseconds(46))))
        _ = state.handle(.loginFinished(session: attempt, bypassed))
        let status = Frame.render(state).line(state.layout.statusRow)
        #expect(status.contains("Authenticated by PostgreSQL"))
        #expect(status.contains("cache off by you"))
        #expect(Frame.render(state).line(0).contains("Redis off by you"))
        // Ctrl-O in the form too; o again puts it back.
        #expect(state.press(.character("o")) == [.setCacheBypassed(false)])
        #expect(!state.cacheBypassed)
        // A mode that cannot: nothing asked, and it says so.
        var remote = AppState.make(mode: ModeInfo(name: "remote", detail: "http://127.0.0.1:8080", canFlush: false))
        remote.logInWithProducts(Fixtures.products)
        #expect(remote.press(.character("o")) == [])
        #expect(remote.message?.text.contains("cannot be taken out of the path") == true)
    }

    @Test("remotely o asks the server; a login it did not skip Redis for says so (only its --admin-users may)")
    func remoteCacheBypass() {
        var state = AppState.make(mode: ModeInfo(name: "remote", detail: "http://127.0.0.1:8080", canFlush: false, latencyName: "round trip", canBypassCache: true))
        state.logInWithProducts(Fixtures.products)
        #expect(state.press(.character("o")) == [.setCacheBypassed(true)])
        state.press(.character("l"))
        state.type("EXAMPLE_PASSWORD")
        guard case .login(_, let attempt)? = state.press(.enter).first else {
            Issue.record("no login")
            return
        }
        let notSkipped = LoginResult.authenticated(Authentication(username: "john_doe", source: .redis,
                                                                  timing: .remote(roundTrip: .milliseconds(3), server: "http://127.0.0.1:8080", instance: nil)))
        _ = state.handle(.loginFinished(session: attempt, notSkipped))
        #expect(state.message?.text.contains("--admin-users only") == true)
        #expect(!Frame.render(state).line(state.layout.statusRow).contains("cache off by you"))
    }

    @Test("Ctrl-C quits from the form, q quits from the table")
    func quit() {
        var form = AppState.make()
        #expect(form.press(.control("C")) == [.quit])
        #expect(form.quitting)
        var table = AppState.make()
        table.logInWithProducts(Fixtures.products)
        #expect(table.press(.character("q")) == [.quit])
    }
}
