import DoormanAuth
import DoormanCore
import DoormanHTTP
import DoormanPasswords
import DoormanPostgres
import DoormanRedis
import Foundation
import Testing

/// The built `doorman` run with no subcommand in a real terminal (tmux),
/// against the test servers, driven with keys and read from the screen.
///
/// The tests are async and do their blocking work (tmux, waiting for the
/// screen) on threads of their own, so that they never hold Swift's
/// cooperative threads, which the in-process servers of other tests need.
/// Expectations are checked back in the test, on what those threads return.
@Suite("Terminal UI end to end")
struct TerminalUITests {
    /// `doorman` started from a shell in a tmux pane; the shell prints
    /// `exit=N` when it ends, and the script it runs leaves its pid in a file.
    final class UIProcess: @unchecked Sendable {
        // @unchecked Sendable: like its TmuxSession, used by one test from one thread at a time.
        let tmux: TmuxSession
        let directory: String

        /// Starts `doorman ARGUMENTS` with `environment`, and `themes` (name: text) in its user theme directory.
        /// With `reportExit`, the shell prints `exit=STATUS` after the UI (``waitForExit(_:)``);
        /// without, the UI is the command line's last job, which Ctrl-Z can stop to the prompt.
        init(_ arguments: [String], columns: Int = 100, rows: Int = 30, environment: [String: String] = [:], themes: [String: String] = [:],
             keys: String? = nil, reportExit: Bool = true) throws {
            directory = TestServers.makeTemporaryDirectory(prefix: "doorman-test-ui")
            try FileManager.default.createDirectory(atPath: directory + "/doorman/themes", withIntermediateDirectories: true)
            for (name, text) in themes {
                try text.write(toFile: directory + "/doorman/themes/\(name).theme", atomically: true, encoding: .utf8)
            }
            if let keys { try keys.write(toFile: directory + "/doorman/keys", atomically: true, encoding: .utf8) }
            tmux = try TmuxSession(columns: columns, rows: rows, environment: ["XDG_CONFIG_HOME": directory])
            let words = [DoormanBinary.path, "--state-dir", directory] + arguments
            let variables = environment.map { "\($0.key)=\(Self.quote($0.value)) " }.joined()
            // swift test sets NO_COLOR for its children: each test says what it wants.
            let script = "#!/bin/sh\necho $$ > \(directory)/pid\nunset NO_COLOR DOORMAN_THEME\n\(variables)exec \(words.map(Self.quote).joined(separator: " "))\n"
            try script.write(toFile: directory + "/run.sh", atomically: true, encoding: .utf8)
            try tmux.runCommand("clear; sh \(directory)/run.sh" + (reportExit ? "; echo \"exit=$?\"" : ""))
        }

        deinit {
            // A UI a failed test left running. Only if that pid is still this
            // UI (its command line names this test's directory): pids are
            // recycled quickly here (pid_max is 32768).
            if let pid, let command = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8), command.contains(directory) {
                kill(pid, SIGKILL)
            }
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// The UI's process id.
        var pid: pid_t? {
            (try? String(contentsOfFile: directory + "/pid", encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }

        /// What the UI logged.
        var log: String {
            (try? String(contentsOfFile: directory + "/ui.log", encoding: .utf8)) ?? ""
        }

        /// Fills in the form and presses Enter.
        func logIn(_ user: String = "john_doe", password: String = "EXAMPLE_PASSWORD") throws {
            try tmux.waitFor("Username")
            try tmux.type(user)
            try tmux.press("Tab")
            try tmux.type(password)
            try tmux.press("Enter")
        }

        /// After logging out: the username is kept, so only the password and Enter.
        func logInAgain(password: String = "EXAMPLE_PASSWORD") throws {
            try tmux.waitFor("logged out.")
            try tmux.type(password)
            try tmux.press("Enter")
        }

        /// Waits for the shell to report the UI's exit status; returns the screen.
        @discardableResult
        func waitForExit(_ status: Int32) throws -> String {
            try tmux.waitFor("exit=\(status)")
        }

        /// After the UI left: the screen, and the terminal's `icanon`/`echo` settings.
        func restored() throws -> (screen: String, settings: String) {
            let screen = try tmux.capture()
            // The marker is split in the command line so that only the output shows it whole.
            try tmux.runCommand("stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo :st''ty")
            let settings = try tmux.waitFor(":stty")
            return (screen, settings)
        }

        static func quote(_ word: String) -> String {
            "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
    }

    /// The flags for the shared test servers with Redis database `number`,
    /// emptied of Doorman's keys first so that the first login reads PostgreSQL.
    static func serverFlags(redisDatabase number: Int) async throws -> [String] {
        let flags = DoormanBinary.serverFlags(redisDatabase: number)
        let redis = try RedisGateway(configuration: RedisConfiguration(endpoint: try RedisEndpoint(url: flags[3]), connectTimeout: .seconds(5), commandTimeout: .seconds(2)), logger: TestServers.quietLogger)
        try await redis.evictAll()
        return flags
    }

    /// The prompt is back, no trace of the UI is left on the screen, and the
    /// terminal is in its normal (cooked, echoing) mode.
    static func expectRestored(_ restored: (screen: String, settings: String), sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(restored.screen.split(separator: "\n").last == Substring(TmuxSession.prompt), "no prompt:\n\(restored.screen)", sourceLocation: sourceLocation)
        #expect(!restored.screen.contains("Authenticated by"), "the UI's screen is still there:\n\(restored.screen)", sourceLocation: sourceLocation)
        #expect(!restored.screen.contains("Cache · this"), "the UI's screen is still there:\n\(restored.screen)", sourceLocation: sourceLocation)
        #expect(restored.settings.contains("icanon echo :stty"), "the terminal was left raw:\n\(restored.settings)", sourceLocation: sourceLocation)
    }

    @Test("Ctrl-Z under an interactive shell stops the UI to the prompt with the terminal restored; fg brings back the same screen, which still works")
    func suspendAndResume() async throws {
        let flags = try await Self.serverFlags(redisDatabase: 7)
        let (stopped, resumed) = try await offThePool {
            let ui = try UIProcess(flags, reportExit: false)
            try ui.logIn()
            try ui.tmux.waitFor("Authenticated by PostgreSQL")
            try ui.tmux.waitFor("PINK COTTON BUDS")
            try ui.tmux.press("C-z")
            // dash's job control: the job is reported stopped, and the prompt is back.
            let stopped = try ui.tmux.waitUntil("the shell reports the UI stopped") { screen in
                screen.contains("Stopped") && screen.split(separator: "\n").last == Substring(TmuxSession.prompt)
            }
            let settings = try ui.restored().settings
            #expect(settings.contains("icanon echo :stty"), "the terminal was left raw while stopped:\n\(settings)")
            try ui.tmux.runCommand("fg")
            // The whole screen comes back (not only what changes next), and keys work.
            let resumed = try ui.tmux.waitUntil("the UI is drawn again") { $0.contains("Authenticated by PostgreSQL") && $0.contains("PINK COTTON BUDS") }
            try ui.tmux.press("l")
            try ui.tmux.waitFor("john_doe logged out.")
            try ui.tmux.press("C-c")
            try ui.tmux.waitUntil("the prompt after quitting") { $0.split(separator: "\n").last == Substring(TmuxSession.prompt) }
            return (stopped, resumed)
        }
        #expect(!stopped.contains("PINK COTTON BUDS"), "the UI's screen stayed while stopped:\n\(stopped)")
        #expect(resumed.contains("Cache"), "the panel is back:\n\(resumed)")
    }

    @Test("a keys file next to the themes rebinds keys: the new key works, the old one no longer, the footer says so")
    func keysFile() async throws {
        let flags = try await Self.serverFlags(redisDatabase: 8)
        let footer = try await offThePool {
            let ui = try UIProcess(flags, keys: "# mine\nflush-user = F\n")
            try ui.logIn()
            try ui.tmux.waitFor("Authenticated by PostgreSQL")
            let footer = try ui.tmux.waitFor("F flush")
            try ui.tmux.press("f")
            try ui.tmux.press("F")
            try ui.tmux.waitFor("Flushed john_doe's cached hash")
            // One flush in the panel: F's (f, pressed first, did nothing).
            try ui.tmux.waitFor("Flushes 1")
            try ui.tmux.press("q")
            try ui.waitForExit(0)
            return footer
        }
        #expect(!footer.contains(" f flush"), "\(footer)")
    }

    @Test("a keys file the UI cannot use: the standard keys, and after quitting the line that is wrong")
    func badKeysFile() async throws {
        let flags = try await Self.serverFlags(redisDatabase: 8)
        let screen = try await offThePool {
            let ui = try UIProcess(flags, keys: "flush-user = F\nflush-everything = X\n")
            try ui.tmux.waitFor("Keys file not used")
            try ui.tmux.press("C-c")
            return try ui.waitForExit(0)
        }
        #expect(screen.contains("not using the keys file"), "\(screen)")
        // (The message wraps at the terminal's width.)
        let unwrapped = screen.split(separator: "\n").joined(separator: " ")
        #expect(unwrapped.contains("line 2: no command named") && unwrapped.contains("flush-everything"), "\(screen)")
    }

    @Test("log in: PostgreSQL first, Redis after logging out and in, PostgreSQL again after f; q leaves a clean shell")
    func loginCycle() async throws {
        let flags = try await Self.serverFlags(redisDatabase: 9)
        let (first, panel, restored) = try await offThePool {
            let ui = try UIProcess(flags)
            try ui.logIn()
            try ui.tmux.waitFor("Authenticated by PostgreSQL")
            let first = try ui.tmux.waitFor("PINK COTTON BUDS")
            // The health strip: both stores probed and up.
            try ui.tmux.waitUntil("the health strip shows both stores up") { $0.contains("PostgreSQL up ") && $0.contains("Redis up ") }
            // The mouse wheel, as the terminal reports it: three rows down.
            try ui.tmux.type("\u{1B}[<65;10;5M")
            try ui.tmux.waitFor("row 4/")

            try ui.tmux.press("l")
            try ui.tmux.waitFor("john_doe logged out.")
            try ui.logInAgain()
            try ui.tmux.waitFor("Authenticated by Redis")

            try ui.tmux.press("f")
            try ui.tmux.waitFor("Flushed john_doe's cached hash")
            try ui.tmux.press("l")
            try ui.logInAgain()
            try ui.tmux.waitFor("Authenticated by PostgreSQL")
            // The panel counts every login of this process.
            let panel = try ui.tmux.waitFor("Logins  Redis 1 PostgreSQL 2")

            try ui.tmux.press("q")
            try ui.waitForExit(0)
            return (first, panel, try ui.restored())
        }
        #expect(first.contains("john_doe · Authenticated by PostgreSQL · lookup "))
        #expect(first.contains("1L FOUNTAIN DRINKING WATER"))
        #expect(first.contains("Price"))
        #expect(!first.contains("EXAMPLE_PASSWORD"))
        #expect(panel.contains("Recent logins"))
        Self.expectRestored(restored)
    }

    @Test("a wrong password shows 'Authentication failed.'; a 10 KB paste is refused; Ctrl-C quits and restores the terminal")
    func wrongPassword() async throws {
        let flags = try await Self.serverFlags(redisDatabase: 10)
        let (failed, pasted, restored) = try await offThePool {
            let ui = try UIProcess(flags)
            try ui.logIn(password: "not the password")
            let failed = try ui.tmux.waitFor("Authentication failed.")
            try ui.tmux.press("Escape")
            try ui.tmux.paste(String(repeating: "x", count: 10_240))
            let pasted = try ui.tmux.waitFor("Paste refused")
            try ui.tmux.press("C-c")
            try ui.waitForExit(0)
            return (failed, pasted, try ui.restored())
        }
        #expect(!failed.contains("Authenticated by"))
        #expect(!failed.contains("not the password"))
        #expect(pasted.contains("Paste refused: it does not fit the username"))
        #expect(!pasted.contains("xxxx"))
        Self.expectRestored(restored)
    }

    @Test("/ filters as you type; a resize redraws, too small says so; SIGTERM restores the terminal")
    func filterResizeTerminate() async throws {
        let flags = try await Self.serverFlags(redisDatabase: 11)
        let (filtered, resized, cleared, restored) = try await offThePool {
            let ui = try UIProcess(flags)
            try ui.logIn()
            try ui.tmux.waitFor("1L FOUNTAIN DRINKING WATER")
            try ui.tmux.press("/")
            try ui.tmux.type("ramen")
            // The filter narrows as each letter arrives: wait for the last one.
            let filtered = try ui.tmux.waitUntil("the filter matches one row") { $0.contains("/ramen ") && $0.contains("ラーメン RAMEN BOWL") && $0.contains("row 1/1 of") }

            try ui.tmux.resize(columns: 50, rows: 12)
            try ui.tmux.waitFor("Terminal too small: 50×12")
            try ui.tmux.resize(columns: 80, rows: 24)
            let resized = try ui.tmux.waitUntil("the UI is back") { $0.contains("ラーメン RAMEN BOWL") && !$0.contains("too small") }

            // Esc clears the filter: every row again, the selection kept.
            try ui.tmux.press("Escape")
            let cleared = try ui.tmux.waitUntil("the filter is cleared") { !$0.contains("/1 of ") && $0.contains("CAFÉ AU LAIT BOWL") }

            guard let pid = ui.pid else { throw TmuxError.failed("the UI left no pid") }
            kill(pid, SIGTERM)
            try ui.waitForExit(128 + SIGTERM)
            return (filtered, resized, cleared, try ui.restored())
        }
        #expect(filtered.range(of: "/ramen  row 1/1 of [0-9]+", options: .regularExpression) != nil)
        #expect(!filtered.contains("1L FOUNTAIN DRINKING WATER"))
        #expect(resized.contains("Authenticated by PostgreSQL"))
        #expect(cleared.contains("ラーメン RAMEN BOWL"))
        Self.expectRestored(restored)
    }

    /// The line of the selected row (drawn with `▸`), if one is on screen.
    static func selectedLine(_ screen: String) -> String? {
        screen.split(separator: "\n").first { $0.contains("▸") }.map(String.init)
    }

    @Test("n searches as you type, every row staying; Enter keeps it; n and N move between the matches and wrap around")
    func search() async throws {
        let flags = try await Self.serverFlags(redisDatabase: 11)
        let (typed, next, previous, wrapped, cleared) = try await offThePool {
            let ui = try UIProcess(flags)
            try ui.logIn()
            try ui.tmux.waitFor("1L FOUNTAIN DRINKING WATER")
            try ui.tmux.press("n")
            try ui.tmux.waitFor("Search: ")
            try ui.tmux.type("bowl")
            let typed = try ui.tmux.waitUntil("the selection on the first bowl") { $0.contains("Search: bowl ") && Self.selectedLine($0)?.contains("CAFÉ AU LAIT BOWL") == true }
            try ui.tmux.press("Enter")
            try ui.tmux.waitFor("search “bowl” match 1 of 2")
            try ui.tmux.press("n")
            let next = try ui.tmux.waitUntil("the selection on the second bowl") { Self.selectedLine($0)?.contains("ラーメン RAMEN BOWL") == true && $0.contains("match 2 of 2") }
            try ui.tmux.press("N")
            let previous = try ui.tmux.waitUntil("the selection back on the first bowl") { Self.selectedLine($0)?.contains("CAFÉ AU LAIT BOWL") == true }
            try ui.tmux.press("N")
            let wrapped = try ui.tmux.waitUntil("the search wrapped to the last bowl") { Self.selectedLine($0)?.contains("ラーメン RAMEN BOWL") == true && $0.contains("search wrapped to the bottom") }
            // htop's keys: F3 is n, Shift-F3 is N (F15 to ncurses in tmux's terminal).
            try ui.tmux.press("F3")
            try ui.tmux.waitUntil("F3: the first bowl") { Self.selectedLine($0)?.contains("CAFÉ AU LAIT BOWL") == true }
            try ui.tmux.press("S-F3")
            try ui.tmux.waitUntil("Shift-F3: the last bowl again") { Self.selectedLine($0)?.contains("ラーメン RAMEN BOWL") == true }
            // Esc clears the search; the selection stays.
            try ui.tmux.press("Escape")
            let cleared = try ui.tmux.waitUntil("the search cleared") { !$0.contains("search “bowl”") && !$0.contains("wrapped") }
            try ui.tmux.press("q")
            try ui.waitForExit(0)
            return (typed, next, previous, wrapped, cleared)
        }
        // Every row stays: the table is not filtered.
        #expect(typed.range(of: "row [0-9]+/[0-9]+ ", options: .regularExpression) != nil, "\(typed)")
        #expect(!typed.contains(" of 4"), "\(typed)")
        #expect(typed.contains("match 1 of 2"), "\(typed)")
        #expect(next.contains("search “bowl” match 2 of 2"), "\(next)")
        #expect(previous.contains("match 1 of 2"), "\(previous)")
        #expect(wrapped.contains("ラーメン RAMEN BOWL"))
        #expect(Self.selectedLine(cleared)?.contains("ラーメン RAMEN BOWL") == true, "\(cleared)")
    }

    @Test("--serve: requests made with a raw HTTP client show up in the panel")
    func serve() async throws {
        let port = try FreePort.free()
        let flags = try await Self.serverFlags(redisDatabase: 12)
        let ui = try await offThePool {
            let ui = try UIProcess(flags + ["--serve", String(port)])
            try ui.tmux.waitFor("no requests yet")
            return ui
        }
        let client = try await RawHTTPClient.open(port: port)
        let response = try await client.fetch("/products?limit=1", authorization: BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD"))
        #expect(response.status == 200)
        let wrong = try await client.fetch("/products?limit=1", authorization: BasicAuthorization.header(username: "john_doe", password: "nope"))
        #expect(wrong.status == 401)
        let screen = try await offThePool {
            let screen = try ui.tmux.waitFor("200×1  401×1")
            try ui.tmux.press("C-c")
            try ui.waitForExit(0)
            return screen
        }
        #expect(screen.contains("HTTP http://127.0.0.1:\(port)"))
        #expect(screen.contains("Logins  Redis 0 PostgreSQL 1"))
        #expect(screen.contains("http john_doe"))
    }

    @Test("--remote: logs in through a Doorman HTTP server and shows the store it reports")
    func remote() async throws {
        let service = try TestServers.service()
        let server = try await service.httpServer(HTTPServerConfiguration(port: 0, instanceName: "doorman-7")).start()
        let port = server.port
        let screens: (first: String, flush: String)
        do {
            screens = try await offThePool {
                let ui = try UIProcess(["--remote", "http://127.0.0.1:\(port)"])
                try ui.logIn()
                // The instance that answered (X-Doorman-Instance), as behind a load balancer.
                try ui.tmux.waitFor("Authenticated by PostgreSQL · answered by doorman-7 · round trip")
                let first = try ui.tmux.waitFor("1L FOUNTAIN DRINKING WATER")
                // The health strip from the server's /healthz.
                try ui.tmux.waitFor("PostgreSQL up ")
                try ui.tmux.press("l")
                try ui.logInAgain()
                try ui.tmux.waitFor("Authenticated by Redis · answered by doorman-7")
                try ui.tmux.press("f")
                let flush = try ui.tmux.waitFor("Flushing is not available")
                try ui.tmux.press("q")
                try ui.waitForExit(0)
                return (first, flush)
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
        #expect(screens.first.contains("Doorman · remote · http://127.0.0.1:\(port)"))
        #expect(screens.flush.contains("remote mode: the server owns the cache"))
        // The server saw the UI's logins (and its page fetches).
        #expect(service.statistics.snapshot().byOrigin[.http, default: 0] >= 2)
    }

    @Test("--remote with no server: an outage message, never 'Authentication failed.'")
    func remoteUnreachable() async throws {
        let port = try FreePort.free()
        let screen = try await offThePool {
            let ui = try UIProcess(["--remote", "http://127.0.0.1:\(port)"])
            try ui.logIn()
            try ui.tmux.waitFor("server down")
            let screen = try ui.tmux.waitFor("Cannot reach http://127.0.0.1:\(port)")
            try ui.tmux.press("C-c")
            try ui.waitForExit(0)
            return screen
        }
        #expect(screen.contains("refused"))
        #expect(!screen.contains("Authentication failed."))
    }

    @Test("a broken theme is reported with its file and line, logged, and dark is used instead")
    func brokenTheme() async throws {
        let (screen, colours, log, directory) = try await offThePool {
            let ui = try UIProcess(["--remote", "http://127.0.0.1:1", "--theme", "broken"],
                                   themes: ["broken": "# mine\ntable.header = purpel default\n"])
            let screen = try ui.tmux.waitFor("broken.theme:2: unknown colour")
            let colours = try ui.tmux.capture(escapes: true)
            try ui.tmux.press("C-c")
            let after = try ui.waitForExit(0)
            // The terminal wraps the long line at its width.
            return (screen + "\n" + after.replacingOccurrences(of: "\n", with: ""), colours, ui.log, ui.directory)
        }
        // The footer has the file's name; the whole message, printed before
        // the UI started, is on the terminal after it.
        #expect(screen.contains("Using theme dark: broken.theme:2: unknown colour"))
        #expect(screen.contains("cannot use theme broken, using dark: \(directory)/doorman/themes/broken.theme:2: unknown colour or attribute 'purpel'"))
        #expect(screen.contains("theme dark"))
        // dark's colours (as many as the pane's TERM has).
        #expect(colours.range(of: "\u{1B}\\[(38;5;[0-9]+|3[0-7])m", options: .regularExpression) != nil)
        #expect(log.contains("\(directory)/doorman/themes/broken.theme:2: unknown colour or attribute 'purpel'"))
    }

    @Test("NO_COLOR: attributes only, no colour at all; SIGHUP restores the terminal")
    func noColor() async throws {
        let (screen, restored) = try await offThePool {
            let ui = try UIProcess(["--remote", "http://127.0.0.1:1"], environment: ["NO_COLOR": "1"])
            try ui.tmux.waitFor("Username")
            let screen = try ui.tmux.capture(escapes: true)
            guard let pid = ui.pid else { throw TmuxError.failed("the UI left no pid") }
            kill(pid, SIGHUP)
            try ui.waitForExit(128 + SIGHUP)
            return (screen, try ui.restored())
        }
        Self.expectRestored(restored)
        #expect(!screen.contains("\u{1B}[38;5;"))
        #expect(!screen.contains("\u{1B}[48;5;"))
        #expect(screen.range(of: "\u{1B}\\[[34][0-7]m", options: .regularExpression) == nil)
        #expect(screen.contains("\u{1B}[1;7m"))  // the title: bold, reverse video
    }

    @Test("o takes Redis out of the path: PostgreSQL answers with 'cache off by you'; o again and Redis answers")
    func cacheBypass() async throws {
        let flags = try await Self.serverFlags(redisDatabase: 14)
        let (off, back) = try await offThePool {
            let ui = try UIProcess(flags)
            try ui.logIn()
            try ui.tmux.waitFor("Authenticated by PostgreSQL")
            try ui.tmux.waitFor("PINK COTTON BUDS")
            try ui.tmux.press("o")
            try ui.tmux.waitFor("Redis off by you")
            try ui.tmux.press("l")
            try ui.logInAgain()
            // Cached by the first login, yet PostgreSQL answers.
            let off = try ui.tmux.waitFor("cache off by you")
            try ui.tmux.waitFor("PINK COTTON BUDS")
            try ui.tmux.press("o")
            try ui.tmux.waitFor("Redis is back")
            try ui.tmux.press("l")
            try ui.logInAgain()
            let back = try ui.tmux.waitFor("Authenticated by Redis")
            try ui.tmux.press("q")
            try ui.waitForExit(0)
            return (off, back)
        }
        #expect(off.contains("Authenticated by PostgreSQL"))
        #expect(!back.contains("cache off by you"))
    }

    @Test("d: flush, log in, log in again: PostgreSQL then Redis, side by side")
    func demo() async throws {
        let flags = try await Self.serverFlags(redisDatabase: 15)
        let screen = try await offThePool {
            let ui = try UIProcess(flags)
            try ui.logIn()
            try ui.tmux.waitFor("PINK COTTON BUDS")
            try ui.tmux.press("d")
            let screen = try ui.tmux.waitFor("Demo: 1st")
            try ui.tmux.press("q")
            try ui.waitForExit(0)
            return screen
        }
        #expect(screen.range(of: "Demo: 1st PostgreSQL [0-9.]+ ms, 2nd Redis [0-9.]+ ms", options: .regularExpression) != nil, "\(screen)")
        #expect(screen.contains("Demo: flush, log in, log in again"))
    }

    // MARK: - Issue 12's bugs, each seen in a real terminal

    @Test("bug 1: a burst after the password changed elsewhere stops at its first refusal, and the new password still works")
    func burstStopsAtFailure() async throws {
        let flags = try await Self.serverFlags(redisDatabase: 13)
        let user = try await TestServers.makeUser(password: "old-password", prefix: "burst")
        let (stopped, after) = try await offThePool {
            let ui = try UIProcess(flags)
            try ui.logIn(user, password: "old-password")
            try ui.tmux.waitFor("Authenticated by PostgreSQL")
            // Another shell changes the password.
            let postgres = try PostgresGateway(configuration: PostgresConfiguration.test(connectionString: TestServers.shared.databaseURL, poolSize: 1))
            let hash = try BCrypt.hash("new-password", cost: 4)
            try waitOffThePool { try await postgres.setPasswordHash(hash, for: user) }
            try ui.tmux.press("f")
            try ui.tmux.waitFor("cached hash")
            try ui.tmux.press("b")
            try ui.tmux.waitFor("Burst: logins, at once")
            try ui.tmux.press("Enter")
            let stopped = try ui.tmux.waitFor("The burst stopped")
            try ui.tmux.press("l")
            try ui.logInAgain(password: "new-password")
            let after = try ui.tmux.waitUntil("the new password is answered") { $0.contains("Authenticated by") || $0.contains("Too many") }
            try ui.tmux.press("q")
            try ui.waitForExit(0)
            return (stopped, after)
        }
        #expect(stopped.contains("a login was refused"))
        #expect(after.contains("Authenticated by PostgreSQL"), "locked out:\n\(after)")
    }

    @Test("bug 3: TERM=dumb is refused with a message, not a blank UI")
    func dumbTerminal() async throws {
        let screen = try await offThePool {
            let ui = try UIProcess(["--remote", "http://127.0.0.1:1"], environment: ["TERM": "dumb"])
            // The command line itself shows `exit=$?`: wait for a number.
            return try ui.tmux.waitUntil("the UI exits") { $0.range(of: "exit=[0-9]", options: .regularExpression) != nil }
        }
        #expect(screen.contains("TERM=dumb cannot"))
        #expect(screen.contains("doorman login"))
        #expect(!screen.contains("exit=0"))
    }

    @Test("bug 4: M-b in the form moves a word back (it used to clear the form and type b)")
    func altKeys() async throws {
        let screen = try await offThePool {
            let ui = try UIProcess(["--remote", "http://127.0.0.1:1"])
            try ui.tmux.waitFor("Username")
            try ui.tmux.type("john_doe")
            try ui.tmux.waitFor("john_doe")
            try ui.tmux.press("M-b")
            try ui.tmux.type("X")
            let screen = try ui.tmux.waitUntil("the X is typed") { $0.contains("X") && $0.contains("Username") }
            try ui.tmux.press("C-c")
            try ui.waitForExit(0)
            return screen
        }
        #expect(screen.contains("john_Xdoe"), "\(screen)")
    }

    @Test("bug 5: the light theme draws its panel on its own white background, not the terminal's")
    func lightTheme() async throws {
        let colours = try await offThePool {
            let ui = try UIProcess(["--remote", "http://127.0.0.1:1", "--theme", "light"], environment: ["TERM": "xterm-256color"])
            try ui.tmux.waitFor("Recent logins")
            let colours = try ui.tmux.capture(escapes: true)
            try ui.tmux.press("C-c")
            try ui.waitForExit(0)
            return colours
        }
        // capture-pane -e writes only changes: follow the background up to the text.
        #expect(Self.background(at: "Hit ratio", in: colours) == 255, "\(colours.debugDescription)")
        #expect(Self.background(at: "Recent logins", in: colours) == 255)
    }

    @Test("bug 7: on 8 colours the title is not white on cyan")
    func eightColours() async throws {
        let colours = try await offThePool {
            let ui = try UIProcess(["--remote", "http://127.0.0.1:1"], environment: ["TERM": "xterm"])
            try ui.tmux.waitFor("Username")
            let colours = try ui.tmux.capture(escapes: true)
            try ui.tmux.press("C-c")
            try ui.waitForExit(0)
            return colours
        }
        let title = String(colours.split(separator: "\n").first { $0.contains("Doorman") } ?? "")
        #expect(title.contains("30") && title.contains("46"), "\(title.debugDescription)")
        #expect(!title.contains("37;46") && !title.contains("97;46"), "\(title.debugDescription)")
    }

    /// The background colour (a palette index, `nil` for the terminal's own)
    /// in effect where `text` first appears in a `capture-pane -e` screen.
    static func background(at text: String, in capture: String) -> Int?? {
        guard let target = capture.range(of: text) else { return .none }
        var background: Int?
        var rest = capture[..<target.lowerBound]
        while let escape = rest.range(of: "\u{1B}[") {
            rest = rest[escape.upperBound...]
            guard let end = rest.firstIndex(where: { $0.isLetter }) else { break }
            if rest[end] == "m" {
                let parameters = rest[..<end].split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
                var index = 0
                while index < parameters.count {
                    switch parameters[index] {
                    case 0, 49: background = nil
                    case 40...47: background = parameters[index] - 40
                    case 48 where index + 2 < parameters.count && parameters[index + 1] == 5:
                        background = parameters[index + 2]
                        index += 2
                    case 38 where index + 2 < parameters.count && parameters[index + 1] == 5:
                        index += 2
                    default: break
                    }
                    index += 1
                }
            }
            rest = rest[rest.index(after: end)...]
        }
        return .some(background)
    }
}
