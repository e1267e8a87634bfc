import DoormanCore
import DoormanStack
import Foundation

/// A real terminal for end-to-end tests: a tmux server of its own (its own
/// `-L` socket, so tests running in parallel never meet) with a shell in one
/// pane, driven by `send-keys` and read by `capture-pane`.
///
/// Tests wait for text to appear (``waitFor(_:timeout:)``) rather than for a
/// fixed time, and never assert on how long anything took. Every call blocks:
/// async tests make them on a thread of their own (``offThePool(_:)``), never
/// on Swift's cooperative threads, which in-process servers need.
final class TmuxSession: @unchecked Sendable {
    // @unchecked Sendable: a session belongs to one test, which uses it from
    // one thread at a time (async tests hand it to offThePool and wait).
    /// tmux on `PATH`, if installed.
    static let executable = Subprocess.find("tmux")

    /// Fails the test (never skips it) when tmux is missing.
    static func requireTmux() throws -> String {
        guard let executable else {
            throw TmuxError.missing("tmux is not installed: the terminal UI's end-to-end tests need it (scripts/install-deps.sh --test installs it)")
        }
        return executable
    }

    let socket: String
    private let tmux: String
    private var socketPath: String?
    private(set) var columns: Int
    private(set) var rows: Int

    /// The shell's prompt (without its trailing space, which capture-pane drops).
    static let prompt = "sh$"

    /// Starts a detached session of `columns`×`rows` running `sh` with the prompt `sh$ `.
    init(columns: Int = 100, rows: Int = 30, environment: [String: String] = [:]) throws {
        // tmux's own TERM inside the pane: 256 colours.
        tmux = try Self.requireTmux()
        socket = "doorman-test-\(UUID().uuidString.prefix(12).lowercased())"
        self.columns = columns
        self.rows = rows
        var arguments = ["-f", "/dev/null", "new-session", "-d", "-x", String(columns), "-y", String(rows)]
        for (name, value) in environment.merging(["LANG": "C.UTF-8"], uniquingKeysWith: { first, _ in first }) {
            arguments += ["-e", "\(name)=\(value)"]
        }
        try run(arguments + ["sh"])
        // Keep the pane after the shell exits, so a test can still read it.
        socketPath = try run(["display-message", "-p", "#{socket_path}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try run(["set-option", "-g", "remain-on-exit", "on"])
        // dash, as root, ignores PS1 from the environment: set it in the shell.
        try runCommand("PS1='\(Self.prompt) '; clear")
        try waitUntil("the shell's prompt") { $0.split(separator: "\n").contains { $0 == Self.prompt } }
    }

    deinit {
        _ = try? Subprocess.run([tmux, "-L", socket, "kill-server"], environment: DoormanBinary.cleanEnvironment)
        // tmux leaves its socket file behind.
        if let socketPath, !socketPath.isEmpty { unlink(socketPath) }
    }

    /// Types `line` at the shell prompt and presses Enter.
    func runCommand(_ line: String) throws {
        try type(line)
        try press("Enter")
    }

    /// Types `text` literally.
    func type(_ text: String) throws {
        try run(["send-keys", "-t", "0", "-l", text])
    }

    /// Presses keys by tmux's names: `Enter`, `Tab`, `BTab`, `Escape`, `C-c`, `Up`, `NPage`...
    func press(_ keys: String...) throws {
        try run(["send-keys", "-t", "0"] + keys)
    }

    /// Pastes `text` as a terminal does (bracketed when the program asked for it).
    func paste(_ text: String) throws {
        try run(["set-buffer", "--", text])
        try run(["paste-buffer", "-p", "-d", "-t", "0"])
    }

    /// The screen as text; with `escapes`, with its colours and attributes as SGR sequences.
    func capture(escapes: Bool = false) throws -> String {
        try run(["capture-pane", "-p", "-t", "0"] + (escapes ? ["-e"] : []))
    }

    /// Resizes the window; the program gets SIGWINCH.
    func resize(columns: Int, rows: Int) throws {
        try run(["resize-window", "-t", "0", "-x", String(columns), "-y", String(rows)])
        self.columns = columns
        self.rows = rows
    }

    /// Waits until the screen contains `text`; returns the screen. Throws
    /// with the last screen after `timeout`.
    @discardableResult
    func waitFor(_ text: String, timeout: Duration = .seconds(20)) throws -> String {
        try waitUntil("the screen shows \"\(text)\"", timeout: timeout) { $0.contains(text) }
    }

    /// Waits until `condition` holds for the screen; returns the screen.
    @discardableResult
    func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: (String) -> Bool) throws -> String {
        let deadline = ContinuousClock.now + timeout
        var screen = ""
        while ContinuousClock.now < deadline {
            screen = try capture()
            if condition(screen) { return screen }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TmuxError.timeout(what: what, screen: screen)
    }

    @discardableResult
    private func run(_ arguments: [String]) throws -> String {
        let result = try Subprocess.run([tmux, "-L", socket] + arguments, environment: DoormanBinary.cleanEnvironment)
        guard result.status == 0 else {
            throw TmuxError.failed("tmux \(arguments.prefix(2).joined(separator: " ")): \(result.standardError)")
        }
        return result.standardOutput
    }
}

enum TmuxError: Error, CustomStringConvertible {
    case missing(String)
    case timeout(what: String, screen: String)
    case failed(String)

    var description: String {
        switch self {
        case .missing(let message), .failed(let message): message
        case .timeout(let what, let screen): "timed out waiting until \(what); the screen:\n\(screen)"
        }
    }
}
