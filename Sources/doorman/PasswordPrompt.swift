import DoormanCore
import DoormanPasswords
import Foundation

/// Reads a password: from the terminal without echo, or from standard input
/// (one line) when it is not a terminal. Never from the command line.
enum PasswordPrompt {
    /// The longest line read; longer input is refused, not truncated.
    static let maxBytes = 4_096

    /// Reads one password. With `confirm` on a terminal, asks twice.
    static func read(prompt: String = "Password: ", confirm: Bool = false) throws -> String {
        guard isatty(STDIN_FILENO) == 1 else {
            guard let line = try readLine(from: STDIN_FILENO) else {
                throw DoormanError(.invalidInput, "no password on standard input")
            }
            return try prepared(line)
        }
        let first = try readHidden(prompt: prompt)
        if confirm {
            let second = try readHidden(prompt: "Retype password: ")
            guard BCrypt.constantTimeEquals(Array(first.utf8), Array(second.utf8)) else {
                throw DoormanError(.invalidInput, "the passwords do not match")
            }
        }
        return try prepared(first)
    }

    /// The password as RFC 8265's OpaqueString profile prepares it (as logins
    /// do), checked against Doorman's password rules.
    private static func prepared(_ typed: String) throws -> String {
        let password = PRECIS.preparePassword(typed)
        try Credentials.validate(password: password)
        return password
    }

    /// Reads a line from the terminal with echo off, restoring the terminal
    /// afterwards, and on Ctrl-C.
    private static func readHidden(prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else {
            throw DoormanError(.invalidInput, "cannot read the terminal's settings")
        }
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        silent.c_lflag |= tcflag_t(ECHONL)
        savedTerminal = original
        signal(SIGINT, restoreTerminalAndExit)
        signal(SIGTERM, restoreTerminalAndExit)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
            savedTerminal = nil
        }
        guard let line = try readLine(from: STDIN_FILENO) else {
            throw DoormanError(.invalidInput, "no password entered")
        }
        return line
    }

    /// Reads bytes up to a newline (dropping `\n` or `\r\n`), refusing more
    /// than ``maxBytes`` and invalid UTF-8. `nil` at end of input with nothing read.
    static func readLine(from fd: Int32) throws -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        var sawAnything = false
        while true {
            let count = Foundation.read(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            sawAnything = true
            if byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
            if bytes.count > maxBytes {
                wipe(&bytes)
                throw DoormanError(.invalidInput, "the password is too long")
            }
        }
        guard sawAnything else { return nil }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        defer { wipe(&bytes) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw DoormanError(.invalidInput, "the password is not valid UTF-8")
        }
        return text
    }
}

/// The terminal settings to restore if a signal arrives while echo is off.
nonisolated(unsafe) private var savedTerminal: termios?

private func restoreTerminalAndExit(_ signal: Int32) {
    if var original = savedTerminal {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
    }
    _ = write(STDERR_FILENO, "\n", 1)
    _exit(128 + signal)
}

/// Overwrites a buffer that held a password.
private func wipe(_ bytes: inout [UInt8]) {
    for index in bytes.indices { bytes[index] = 0 }
}
