import DoormanAuth
import DoormanCore
import DoormanHTTP
import Foundation
import Testing

/// The cache view (`c`) in a real terminal: a login's entry appears with a
/// TTL that counts down, and `x` flushes it; through `--remote` the admin
/// API serves it, and without admin rights the view says why.
@Suite("Cache view end to end")
struct CacheViewUITests {
    typealias UIProcess = TerminalUITests.UIProcess

    /// The TTL shown on john_doe's cache row (`4m58s`), if there is one.
    static func johnsTTL(_ screen: String) -> String? {
        guard let line = screen.split(separator: "\n").first(where: { $0.contains("cache") && $0.contains("john_doe") }) else { return nil }
        return line.split(separator: " ").first { $0.hasSuffix("s") && $0.first?.isNumber == true && $0.contains("m") }.map(String.init)
    }

    @Test("c: the login's entry with its TTL falling, valid; x flushes it; Esc back to the products")
    func local() async throws {
        let flags = try await TerminalUITests.serverFlags(redisDatabase: 8)
        let (first, later, flushed) = try await offThePool {
            let ui = try UIProcess(flags)
            try ui.logIn()
            try ui.tmux.waitFor("PINK COTTON BUDS")
            try ui.tmux.press("c")
            let first = try ui.tmux.waitUntil("john_doe's entry, valid, with a TTL") { Self.johnsTTL($0) != nil && $0.contains("valid") }
            // About a second later the view has been read again: the TTL is lower.
            let later = try ui.tmux.waitUntil("the TTL counting down", timeout: .seconds(10)) { screen in
                guard let now = Self.johnsTTL(screen), let then = Self.johnsTTL(first) else { return false }
                return now != then
            }
            try ui.tmux.press("x")
            let flushed = try ui.tmux.waitUntil("the entry gone") { $0.contains("Flushed john_doe's cached hash") && Self.johnsTTL($0) == nil }
            try ui.tmux.press("Escape")
            try ui.tmux.waitFor("PINK COTTON BUDS")
            try ui.tmux.press("q")
            try ui.waitForExit(0)
            return (first, later, flushed)
        }
        #expect(first.contains("TTL"))
        #expect(first.contains("Kind"))
        #expect(!first.contains("$2"))
        #expect(Self.johnsTTL(first)?.hasPrefix("4m") == true || Self.johnsTTL(first)?.hasPrefix("5m") == true, "\(first)")
        #expect(Self.johnsTTL(later) != nil)
        #expect(!flushed.contains("valid"), "\(flushed)")
    }

    @Test("--remote: the admin API serves the view to an admin; without --admin-users the view says the API is off")
    func remote() async throws {
        let service = try TestServers.service()
        var configuration = HTTPServerConfiguration(port: 0)
        configuration.adminUsers = ["john_doe"]
        let admin = try await service.httpServer(configuration).start()
        let plain = try await service.httpServer().start()
        let (shown, off): (String, String)
        do {
            (shown, off) = try await offThePool {
                let ui = try UIProcess(["--remote", "http://127.0.0.1:\(admin.port)"])
                try ui.logIn()
                try ui.tmux.waitFor("1L FOUNTAIN DRINKING WATER")
                try ui.tmux.press("c")
                let shown = try ui.tmux.waitUntil("john_doe's entry through the admin API") { Self.johnsTTL($0) != nil && $0.contains("valid") }
                try ui.tmux.press("q")
                try ui.waitForExit(0)

                let other = try UIProcess(["--remote", "http://127.0.0.1:\(plain.port)"])
                try other.logIn()
                try other.tmux.waitFor("1L FOUNTAIN DRINKING WATER")
                try other.tmux.press("c")
                let off = try other.tmux.waitFor("admin API off on the server")
                try other.tmux.press("q")
                try other.waitForExit(0)
                return (shown, off)
            }
        } catch {
            await admin.stop()
            await plain.stop()
            throw error
        }
        await admin.stop()
        await plain.stop()
        #expect(shown.contains("Doorman · remote"))
        #expect(off.contains("Cannot read the cache"))
    }
}

/// The users view (`u`) in a real terminal, locally: add a user with a
/// masked password, then delete them after y.
@Suite("Users view end to end")
struct UsersViewUITests {
    @Test("u: a adds a user (the password never shows) and selects them; D then y deletes them")
    func addAndDelete() async throws {
        let flags = try await TerminalUITests.serverFlags(redisDatabase: 8)
        let name = "ui_\(UUID().uuidString.prefix(8).lowercased())"
        let (typing, added, deleted) = try await offThePool {
            let ui = try UIProcess(flags)
            try ui.logIn()
            try ui.tmux.waitFor("PINK COTTON BUDS")
            try ui.tmux.press("u")
            try ui.tmux.waitFor("john_doe")
            try ui.tmux.press("a")
            try ui.tmux.waitFor("New user's name:")
            try ui.tmux.type(name)
            try ui.tmux.press("Enter")
            try ui.tmux.waitFor("Password for \(name):")
            try ui.tmux.type("fresh-pass-42")
            let typing = try ui.tmux.waitFor("•••••••••••••")
            try ui.tmux.press("Enter")
            try ui.tmux.waitFor("The same password again:")
            try ui.tmux.type("fresh-pass-42")
            try ui.tmux.press("Enter")
            let added = try ui.tmux.waitFor("Added \(name).")
            try ui.tmux.waitUntil("the new user listed") { $0.split(separator: "\n").contains { $0.contains(name) && $0.contains("v") } }
            // D asks first; the selection is on the new user.
            try ui.tmux.press("D")
            try ui.tmux.waitFor("Delete \(name)? y/N")
            try ui.tmux.press("y")
            // The message comes first, the list read again after it: wait for both (reading the
            // screen at the message alone failed now and then, the old list still drawn).
            let deleted = try ui.tmux.waitUntil("the user deleted and gone from the list") { screen in
                screen.contains("Deleted \(name).") && !screen.split(separator: "\n").dropLast(2).contains { $0.contains(name) }
            }
            try ui.tmux.press("q")
            try ui.waitForExit(0)
            return (typing, added, deleted)
        }
        #expect(!typing.contains("fresh-pass-42"))
        #expect(!added.contains("fresh-pass-42"))
        #expect(!deleted.split(separator: "\n").dropLast(2).contains { $0.contains(name) }, "\(deleted)")
    }

    typealias UIProcess = TerminalUITests.UIProcess
}

/// `O` on the embedded stack: Redis stopped for real, PostgreSQL answers;
/// started again, Redis answers again.
@Suite("Embedded Redis end to end")
struct EmbeddedRedisUITests {
    @Test("O stops the embedded Redis: PostgreSQL answers, cache unavailable; O again: Redis is back")
    func stopAndStart() async throws {
        let (down, back) = try await offThePool {
            // No --database-url or --redis-url: the UI starts an embedded stack of its own (in its --state-dir).
            let ui = try TerminalUITests.UIProcess([])
            try ui.tmux.waitFor("Username", timeout: .seconds(60))
            try ui.logIn()
            try ui.tmux.waitFor("PINK COTTON BUDS", timeout: .seconds(30))
            try ui.tmux.press("O")
            try ui.tmux.waitFor("The embedded Redis is stopped")
            try ui.tmux.press("l")
            try ui.logInAgain()
            let down = try ui.tmux.waitFor("Authenticated by PostgreSQL")
            try ui.tmux.waitFor("PINK COTTON BUDS")
            try ui.tmux.press("O")
            try ui.tmux.waitFor("The embedded Redis runs again")
            try ui.tmux.waitFor("Redis up ")
            // Redis came back empty (the embedded one keeps nothing): one login fills it, the next reads it.
            try ui.tmux.press("l")
            try ui.logInAgain()
            try ui.tmux.waitFor("Authenticated by")
            try ui.tmux.waitFor("PINK COTTON BUDS")
            try ui.tmux.press("l")
            try ui.logInAgain()
            let back = try ui.tmux.waitFor("Authenticated by Redis")
            try ui.tmux.press("q")
            try ui.waitForExit(0)
            return (down, back)
        }
        #expect(down.contains("cache unavailable"), "\(down)")
        #expect(back.contains("Authenticated by Redis"))
    }
}

/// Unlocking a locked user from the users view: ten wrong passwords lock
/// the account (as `doorman login` from this machine), another user unlocks
/// it with `U`, and the right password works again.
@Suite("Unlock end to end")
struct UnlockUITests {
    @Test("a locked user is LOCKED in u; U unlocks them; they log in again")
    func unlock() async throws {
        let flags = try await TerminalUITests.serverFlags(redisDatabase: 8)
        // "aa_": first in the users view, where the selection starts.
        let victim = try await TestServers.makeUser(password: "right-pass", prefix: "aa_locked")
        let helper = try await TestServers.makeUser(password: "helper-pass", prefix: "helper")
        for _ in 0..<ThrottlePolicy().pairLimit {
            _ = try await DoormanBinary.run(["login", victim] + flags, input: "wrong-pass\n")
        }
        let (refused, locked, unlocked, again) = try await offThePool {
            let ui = try TerminalUITests.UIProcess(flags)
            try ui.logIn(victim, password: "right-pass")
            let refused = try ui.tmux.waitFor("Too many failed attempts")
            // Esc clears the form; wait for it, or the next letter would make Esc an Alt key.
            try ui.tmux.press("Escape")
            try ui.tmux.waitUntil("the form cleared") { !$0.contains(victim) }
            try ui.logIn(helper, password: "helper-pass")
            try ui.tmux.waitFor("PINK COTTON BUDS")
            try ui.tmux.press("u")
            let locked = try ui.tmux.waitUntil("the victim LOCKED") { $0.split(separator: "\n").contains { $0.contains(victim) && $0.contains("LOCKED") } }
            try ui.tmux.press("U")
            let unlocked = try ui.tmux.waitFor("Unlocked \(victim)")
            try ui.tmux.press("l")
            try ui.tmux.waitFor("logged out.")
            try ui.tmux.press("Escape")
            try ui.tmux.waitUntil("the form cleared") { !$0.contains("logged out.") }
            try ui.logIn(victim, password: "right-pass")
            let again = try ui.tmux.waitFor("Authenticated by")
            try ui.tmux.press("q")
            try ui.waitForExit(0)
            return (refused, locked, unlocked, again)
        }
        #expect(refused.contains("Too many failed attempts"))
        #expect(locked.contains("LOCKED"))
        #expect(unlocked.contains("counter"))
        #expect(again.contains("\(victim) · Authenticated by"))
    }
}
