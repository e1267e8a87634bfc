import Foundation

/// Process-wide set-up a terminal program needs before curses starts.
enum ProcessTerminal {
    /// `setlocale(LC_ALL, "")`, then, when the environment's locale is not
    /// UTF-8, `C.UTF-8` for LC_CTYPE so that wide characters print. Throws
    /// when no UTF-8 locale exists at all.
    static func prepareLocale() throws(TerminalError) {
        setlocale(LC_ALL, "")
        if isUTF8 { return }
        for candidate in ["C.UTF-8", "C.utf8", "en_US.UTF-8"] where setlocale(LC_CTYPE, candidate) != nil {
            if isUTF8 { return }
        }
        throw TerminalError("no UTF-8 locale is available (not even C.UTF-8): install the locales package")
    }

    private static var isUTF8: Bool {
        guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
        let name = String(cString: codeset).uppercased()
        return name == "UTF-8" || name == "UTF8"
    }
}

/// Standard error pointed at a log file while curses owns the screen, so that
/// log lines (ours, Hummingbird's, a crash backtrace) never scribble over it.
final class StandardErrorRedirect {
    private var saved: Int32

    /// Appends standard error to `path` (created 0600, with its directory).
    init(path: String) throws(TerminalError) {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw TerminalError("cannot open the log file \(path): \(String(cString: strerror(errno)))")
        }
        saved = dup(STDERR_FILENO)
        dup2(descriptor, STDERR_FILENO)
        close(descriptor)
    }

    deinit { restore() }

    /// Points standard error back where it was. Safe to call more than once.
    func restore() {
        guard saved >= 0 else { return }
        dup2(saved, STDERR_FILENO)
        close(saved)
        saved = -1
    }
}
