import DoormanCore
import Foundation
import Logging

/// Doorman's full-screen terminal UI: log in, browse the products, and watch
/// which store authenticates each login.
public enum TerminalUI {
    /// What the UI runs with.
    public struct Configuration: Sendable {
        /// Where logins and products come from.
        public var backend: any UIBackend
        /// The theme to start with (`nil`: the default).
        public var themeName: String?
        /// Where themes are found.
        public var themes: ThemeCatalog
        /// Use no colours (`NO_COLOR`).
        public var noColor: Bool
        /// Where standard error (and so the log) goes while the UI runs.
        public var logFile: String?
        /// The person's keys file (``KeysFile``); a missing file means the standard keys.
        public var keysFile: String?
        /// The UI's own logger.
        public var logger: Logger

        /// Creates a configuration.
        public init(backend: any UIBackend, themeName: String? = nil, themes: ThemeCatalog, noColor: Bool = false, logFile: String? = nil, keysFile: String? = nil,
                    logger: Logger = Logger(label: "doorman.ui")) {
            self.keysFile = keysFile
            self.backend = backend
            self.themeName = themeName
            self.themes = themes
            self.noColor = noColor
            self.logFile = logFile
            self.logger = logger
        }
    }

    /// How the UI ended.
    public enum Exit: Equatable, Sendable {
        /// The person quit (`q`, Ctrl-C).
        case quit
        /// A signal (SIGTERM, SIGHUP, SIGINT from outside) ended it; the caller
        /// should clean up and re-raise it.
        case signal(Int32)
    }

    /// Runs the UI until it ends, on a thread of its own: its loop blocks
    /// that thread in `poll` for as long as the UI is open, which must never
    /// be one of Swift's few cooperative threads (the logins, the product
    /// loads and a hosted HTTP server run there).
    ///
    /// The terminal is restored on every way out: quitting, a signal, a
    /// thrown error, and (as far as a crashing process can) a crash. Throws a
    /// `.configuration` ``DoormanError`` when there is no usable terminal.
    public static func run(_ configuration: Configuration) async throws(DoormanError) -> Exit {
        let result: Result<Exit, DoormanError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                do throws(DoormanError) {
                    continuation.resume(returning: .success(try runBlocking(configuration)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            thread.name = "doorman-ui"
            thread.start()
        }
        return try result.get()
    }

    /// Ends the process the way `signal` would have, after the UI cleaned up:
    /// the default action, raised on a thread that does not block it.
    public static func reraise(_ signal: Int32) -> Never {
        Foundation.signal(signal, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(signal)
        exit(128 + signal)
    }

    /// The UI on the calling thread, which it blocks until the UI ends.
    static func runBlocking(_ configuration: Configuration) throws(DoormanError) -> Exit {
        do {
            try ProcessTerminal.prepareLocale()
            let logger = configuration.logger
            // The theme before curses starts: a message about a mistyped
            // --theme goes to the terminal whole (it is there again after
            // quitting), where the footer can only show one line of it.
            let requested = configuration.themeName ?? ThemeCatalog.defaultName
            let (theme, themeError) = configuration.themes.loadWithFallback(requested)
            if let themeError {
                FileHandle.standardError.write(Data("doorman: cannot use theme \(requested), using \(theme.name): \(themeError)\n".utf8))
            }

            // The keys file likewise; one it cannot use leaves the standard keys.
            var keymap = Keymap.standard
            var keysError: String?
            if let path = configuration.keysFile, FileManager.default.fileExists(atPath: path) {
                do {
                    let text = try String(contentsOfFile: path, encoding: .utf8)
                    keymap = Keymap.standard.overriding(try KeysFile.parse(text))
                } catch let failure as KeysFile.Failure {
                    keysError = "\(path), \(failure)"
                } catch {
                    keysError = "\(path) cannot be read"
                }
                if let keysError {
                    FileHandle.standardError.write(Data("doorman: not using the keys file \(keysError); using the standard keys\n".utf8))
                }
            }

            let redirect = try configuration.logFile.map { path throws(TerminalError) in try StandardErrorRedirect(path: path) }
            defer { redirect?.restore() }
            if let themeError { logger.error("cannot use theme \(requested), using \(theme.name): \(themeError)") }

            let pipe = try WakePipe()
            TerminalSignals.install(wake: pipe)
            defer { TerminalSignals.uninstall() }
            let terminal = try CursesTerminal(theme: theme, noColor: configuration.noColor)
            defer { terminal.end() }
            TerminalSignals.setResetSequence(terminal.resetSequence)

            var state = AppState(
                size: terminal.size, mode: configuration.backend.mode, themeName: theme.name, themes: configuration.themes.names,
                message: themeError.map { Message("Using theme \(theme.name): \($0.shortDescription)", .error) }
                    ?? keysError.map { _ in Message("Keys file not used (see the message after quitting): standard keys", .error) })
            state.keymap = keymap
            let loop = UILoop(state: state, terminal: terminal, backend: configuration.backend, catalog: configuration.themes,
                              keymap: keymap, pipe: pipe, logger: logger)
            switch loop.run() {
            case .quit: return .quit
            case .signal(let number):
                logger.notice("leaving on signal \(number)")
                return .signal(number)
            }
        } catch let error as TerminalError {
            throw DoormanError(.configuration, error.description)
        } catch {
            throw DoormanError(.configuration, "\(error)")
        }
    }
}
