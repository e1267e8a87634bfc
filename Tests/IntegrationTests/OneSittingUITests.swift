import DoormanAuth
import DoormanCore
import DoormanHTTP
import DoormanStack
import Foundation
import Synchronization
import Testing

/// Issue 12's "Done when", walked in one UI session per shipped theme,
/// locally and through `--remote`: log in and watch the entry appear in the
/// cache view with its TTL falling; take Redis away and see PostgreSQL
/// answer; bring Redis back and see Redis answer; unlock a locked user; quit
/// without a stray line. Each case also reads the screen's colours once.
///
/// Locally the UI runs on an embedded stack of its own (`doorman` with no
/// store flags, as a first-time user runs it; quitting stops that stack,
/// which is what once left libpq's `FATAL` line on the terminal). Remotely
/// it talks to one Doorman HTTP server with `--admin-users john_doe`, on a
/// stack of its own, shared by the four remote cases. `o` takes Redis out of
/// the path in both: locally in the UI's own logins, remotely by asking the
/// server to skip it for this admin (`X-Doorman-Cache: bypass`).
@Suite("Issue 12 in one sitting, every theme, locally and --remote", .serialized)
struct OneSittingUITests {
    enum Place: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case local, remote
        var testDescription: String { rawValue }
    }

    static let themes = ["dark", "light", "high-contrast", "monochrome"]

    /// The account the walk locks and unlocks (a seed user; john_doe is the one logged in).
    static let victim = "mary_smith"

    @Test("log in, cache view with the TTL falling, Redis away → PostgreSQL, Redis back → Redis, unlock, quit clean",
          arguments: themes, Place.allCases)
    func walk(theme: String, place: Place) async throws {
        let remote = place == .remote ? try await RemoteServer.shared.value : nil
        let walk = try await offThePool { try Self.walk(theme: theme, remote: remote) }
        // Logged in, and the entry in the cache view with its TTL falling.
        #expect(walk.cache.contains("TTL"), "\(walk.cache)")
        #expect(CacheViewUITests.johnsTTL(walk.cache) != nil && CacheViewUITests.johnsTTL(walk.later) != CacheViewUITests.johnsTTL(walk.cache))
        // Redis away: PostgreSQL answered; back: Redis answered.
        #expect(walk.postgres.contains("john_doe · Authenticated by PostgreSQL"), "\(walk.postgres)")
        #expect(walk.redis.contains("john_doe · Authenticated by Redis"), "\(walk.redis)")
        // The locked user, unlocked.
        #expect(walk.unlocked.contains("Unlocked \(Self.victim)"), "\(walk.unlocked)")
        // Quitting leaves the shell's screen as the shell wrote it: the exit status and the prompt, nothing else.
        let lines = walk.exit.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(lines == ["exit=0", TmuxSession.prompt], "a stray line after quitting:\n\(walk.exit)")
        TerminalUITests.expectRestored(walk.restored)
        if place == .local {
            #expect(walk.postgresRanBefore && !walk.postgresLeftRunning, "the embedded PostgreSQL: before quitting \(walk.postgresRanBefore), after \(walk.postgresLeftRunning)")
        }
        // The theme's colours: the header and the selected row as the theme draws them, and no text invisible.
        Self.expectColours(walk.colours, theme: theme)
    }

    struct Walk: Sendable {
        var colours = "", cache = "", later = "", postgres = "", redis = "", unlocked = "", exit = ""
        var restored: (screen: String, settings: String) = ("", "")
        /// Locally: whether the embedded PostgreSQL ran before the UI quit, and still after.
        var postgresRanBefore = false, postgresLeftRunning = false
    }

    /// The walk itself, on a thread of its own (it blocks on tmux).
    static func walk(theme: String, remote: RemoteServer?) throws -> Walk {
        var walk = Walk()
        let arguments = (remote.map { ["--remote", $0.url] } ?? []) + ["--theme", theme]
        let ui = try TerminalUITests.UIProcess(arguments, environment: ["TERM": "xterm-256color"])
        try ui.tmux.waitFor("Username", timeout: .seconds(60))

        // Log in; the entry appears in the cache view, its TTL falling.
        try ui.logIn()
        try ui.tmux.waitFor("Authenticated by")
        try ui.tmux.waitUntil("the products, the first row selected") { $0.contains("PINK COTTON BUDS") && $0.contains("▸") }
        walk.colours = try ui.tmux.capture(escapes: true)
        try ui.tmux.press("c")
        walk.cache = try ui.tmux.waitUntil("john_doe's entry, valid, with a TTL") { CacheViewUITests.johnsTTL($0) != nil && $0.contains("valid") }
        walk.later = try ui.tmux.waitUntil("the TTL falling", timeout: .seconds(10)) { screen in
            guard let now = CacheViewUITests.johnsTTL(screen), let then = CacheViewUITests.johnsTTL(walk.cache) else { return false }
            return now != then
        }
        try ui.tmux.press("Escape")
        try ui.tmux.waitFor("PINK COTTON BUDS")

        // Take Redis away (o: out of this UI's path; remotely the server skips it for this admin): PostgreSQL answers.
        try ui.tmux.press("o")
        try ui.tmux.waitFor("Redis off by you")
        try ui.tmux.press("l")
        try ui.logInAgain()
        walk.postgres = try ui.tmux.waitUntil("PostgreSQL answers, cache off by you") { $0.contains("Authenticated by PostgreSQL") && $0.contains("cache off by you") }
        try ui.tmux.waitFor("PINK COTTON BUDS")

        // Bring it back: Redis answers (it kept the entry).
        try ui.tmux.press("o")
        try ui.tmux.waitFor("Redis is back")
        try ui.tmux.press("l")
        try ui.logInAgain()
        walk.redis = try ui.tmux.waitUntil("a login answered") { $0.contains("Authenticated by Redis") || $0.contains("Authenticated by PostgreSQL") }
        try ui.tmux.waitFor("PINK COTTON BUDS")

        // Someone fails to log in as mary_smith until the throttle locks the account.
        if let remote {
            try waitOffThePool {
                for _ in 0..<ThrottlePolicy().pairLimit {
                    _ = await remote.service.authenticate(username: victim, password: "not-the-password", origin: .http)
                }
            }
        } else {
            // Another process on the same embedded stack.
            for _ in 0..<ThrottlePolicy().pairLimit {
                _ = try waitOffThePool { try await DoormanBinary.run(["login", victim, "--state-dir", ui.directory], input: "not-the-password\n") }
            }
        }
        // Unlock the locked user from the users view (mary_smith is second, after john_doe).
        try ui.tmux.press("u")
        try ui.tmux.waitUntil("\(victim) LOCKED") { $0.split(separator: "\n").contains { $0.contains(victim) && $0.contains("LOCKED") } }
        try ui.tmux.press("j")
        try ui.tmux.press("U")
        walk.unlocked = try ui.tmux.waitFor("Unlocked \(victim)")
        try ui.tmux.waitUntil("\(victim) no longer LOCKED") { $0.split(separator: "\n").contains { $0.contains(victim) && !$0.contains("LOCKED") } }

        // Quit: nothing may follow on the terminal (libpq's notice once did, when the embedded PostgreSQL stopped).
        let postmaster = ui.directory + "/postgres/data/postmaster.pid"
        walk.postgresRanBefore = remote == nil && FileManager.default.fileExists(atPath: postmaster)
        try ui.tmux.press("q")
        try ui.waitForExit(0)
        Thread.sleep(forTimeInterval: 0.5)
        walk.exit = try ui.tmux.capture()
        // The last process of the stack stopped it: the moment the stray line came from.
        walk.postgresLeftRunning = remote == nil && FileManager.default.fileExists(atPath: postmaster)
        walk.restored = try ui.restored()
        return walk
    }

    // MARK: - Colours

    /// How a theme draws a role at 256 colours: palette indices (`nil`: the terminal's own) and attributes.
    struct Look: Equatable, CustomStringConvertible {
        var foreground: Int?
        var background: Int?
        var bold = false
        var underline = false
        var reverse = false

        var description: String {
            "fg \(foreground.map(String.init) ?? "default") bg \(background.map(String.init) ?? "default")"
                + (bold ? " bold" : "") + (underline ? " underline" : "") + (reverse ? " reverse" : "")
        }
    }

    /// The header's and the selected row's looks, from the shipped theme files.
    static let expected: [String: (header: Look, selected: Look)] = [
        "dark": (Look(foreground: 153, background: 237, bold: true), Look(foreground: 231, background: 31)),
        "light": (Look(foreground: 17, background: 153, bold: true), Look(foreground: 231, background: 25)),
        "high-contrast": (Look(foreground: 0, background: 15, bold: true), Look(foreground: 0, background: 14, bold: true)),
        "monochrome": (Look(bold: true, underline: true), Look(reverse: true)),
    ]

    /// A `capture-pane -e` screen as rows of (character, look). tmux writes
    /// only changes, so the look carries on from cell to cell and line to line.
    static func cells(_ capture: String) -> [[(Character, Look)]] {
        var rows: [[(Character, Look)]] = [[]]
        var look = Look()
        var characters = Array(capture)[...]
        while let character = characters.first {
            characters = characters.dropFirst()
            if character == "\n" {
                rows.append([])
                continue
            }
            guard character == "\u{1B}" else {
                rows[rows.count - 1].append((character, look))
                continue
            }
            guard characters.first == "[" else { continue }
            characters = characters.dropFirst()
            var parameters = ""
            while let next = characters.first, !next.isLetter {
                parameters.append(next)
                characters = characters.dropFirst()
            }
            guard characters.first == "m" else {
                characters = characters.dropFirst()
                continue
            }
            characters = characters.dropFirst()
            let numbers = parameters.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
            var index = 0
            while index < numbers.count {
                switch numbers[index] {
                case 0: look = Look()
                case 1: look.bold = true
                case 4: look.underline = true
                case 7: look.reverse = true
                case 22: look.bold = false
                case 24: look.underline = false
                case 27: look.reverse = false
                case 30...37: look.foreground = numbers[index] - 30
                case 39: look.foreground = nil
                case 40...47: look.background = numbers[index] - 40
                case 49: look.background = nil
                case 90...97: look.foreground = numbers[index] - 90 + 8
                case 100...107: look.background = numbers[index] - 100 + 8
                case 38, 48:
                    if index + 2 < numbers.count && numbers[index + 1] == 5 {
                        if numbers[index] == 38 { look.foreground = numbers[index + 2] } else { look.background = numbers[index + 2] }
                        index += 2
                    } else if index + 4 < numbers.count && numbers[index + 1] == 2 {
                        index += 4
                    }
                default: break
                }
                index += 1
            }
        }
        return rows
    }

    /// The look of the first cell of `word` on the first row that contains it (and `also`).
    static func look(of word: String, onRowWith also: String? = nil, in rows: [[(Character, Look)]]) -> Look? {
        for row in rows {
            let text = String(row.map(\.0))
            guard let range = text.range(of: word), also.map(text.contains) ?? true else { continue }
            return row[text.distance(from: text.startIndex, to: range.lowerBound)].1
        }
        return nil
    }

    static func expectColours(_ capture: String, theme: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let rows = cells(capture)
        guard let (header, selected) = expected[theme] else {
            Issue.record("no expected looks for theme \(theme)", sourceLocation: sourceLocation)
            return
        }
        let headerLook = look(of: "Name", onRowWith: "Price", in: rows)
        #expect(headerLook == header, "the table's header in \(theme): \(headerLook.map(\.description) ?? "not found")", sourceLocation: sourceLocation)
        let selectedLook = look(of: "FOUNTAIN", onRowWith: "▸", in: rows)
        #expect(selectedLook == selected, "the selected row in \(theme): \(selectedLook.map(\.description) ?? "not found")", sourceLocation: sourceLocation)
        #expect(look(of: "PINK", in: rows) != selectedLook, "an unselected row looks selected in \(theme)", sourceLocation: sourceLocation)
        // No text drawn in its own background's colour.
        var invisible: [String] = []
        for (y, row) in rows.enumerated() {
            for (character, look) in row where !character.isWhitespace {
                if let foreground = look.foreground, foreground == look.background {
                    invisible.append("row \(y) '\(character)' \(look)")
                }
            }
        }
        #expect(invisible.isEmpty, "text in its background's colour in \(theme): \(invisible.prefix(5))", sourceLocation: sourceLocation)
    }
}

/// One Doorman HTTP server (`--admin-users john_doe`) on a stack of its own
/// (its users view lists only the seed's users), shared by the remote cases.
final class RemoteServer: Sendable {
    let stack: EmbeddedStack
    let service: TestService
    let running: RunningHTTPServer
    var url: String { "http://127.0.0.1:\(running.port)" }

    init(stack: EmbeddedStack, service: TestService, running: RunningHTTPServer) {
        self.stack = stack
        self.service = service
        self.running = running
    }

    /// Started by the first remote case; the stack goes when the test process exits.
    static let shared = Task<RemoteServer, any Error> {
        let stack = await TestServers.start(name: "one-sitting")
        remoteStackForExit.withLock { $0 = stack }
        atexit {
            if let stack = remoteStackForExit.withLock({ $0 }) { TestServers.stop(stack) }
        }
        let service = try TestServers.service(on: stack)
        var configuration = HTTPServerConfiguration(port: 0)
        configuration.adminUsers = ["john_doe"]
        let running = try await service.httpServer(configuration).start()
        return RemoteServer(stack: stack, service: service, running: running)
    }
}

private let remoteStackForExit = Mutex<EmbeddedStack?>(nil)
