import Foundation

/// Signals while the UI owns the terminal.
///
/// - SIGINT, SIGTERM and SIGHUP write their number to the UI loop's wake pipe;
///   the loop then leaves the normal way (restoring the terminal, releasing the
///   embedded stack) and the program re-raises the signal.
/// - SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE and SIGABRT (a crash, a Swift
///   runtime trap) restore the terminal settings and leave the alternate
///   screen with async-signal-safe calls only, then hand the signal to
///   whatever handled it before (Swift's backtracer, or the default).
///
/// Installed before ncurses starts, so ncurses does not install its own
/// SIGINT/SIGTERM handlers (which would exit without our clean-up).
enum TerminalSignals {
    /// Signals that end the UI cleanly.
    static let graceful: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    /// Signals of a crash.
    static let fatal: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT]

    // Read by signal handlers: set before the handlers are installed and not
    // changed while they are, hence nonisolated(unsafe).
    nonisolated(unsafe) private static var wakeDescriptor: Int32 = -1
    nonisolated(unsafe) private static var reset = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 256)
    nonisolated(unsafe) private static var resetCount = 0
    nonisolated(unsafe) private static var terminalSettings = UnsafeMutablePointer<termios>.allocate(capacity: 1)
    nonisolated(unsafe) private static var haveTerminalSettings = false
    nonisolated(unsafe) private static var previous = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)

    /// Saves the terminal's settings (before ncurses changes them) and
    /// installs the handlers; `wake` is the UI loop's pipe.
    static func install(wake: WakePipe) {
        wakeDescriptor = wake.writeDescriptor
        // This (the UI's) thread takes these signals even when it was started
        // with them blocked (threads of Swift's pool block every signal):
        // a SIGWINCH then also cuts the UI loop's wait short.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        for signal in graceful + fatal + [SIGWINCH] { sigaddset(&unblocked, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
        haveTerminalSettings = tcgetattr(STDIN_FILENO, terminalSettings) == 0
        for signal in graceful {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                var byte = UInt8(truncatingIfNeeded: signal)
                _ = write(TerminalSignals.wakeDescriptor, &byte, 1)
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, previous + Int(signal))
        }
        for signal in fatal {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                TerminalSignals.restoreTerminalFromHandler()
                // Back to the previous handler; it runs when this one returns
                // (a faulting instruction faults again) or on the raise.
                sigaction(signal, TerminalSignals.previous + Int(signal), nil)
                if signal == SIGABRT || signal == SIGTRAP { raise(signal) }
            }
            action.sa_flags = 0
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, previous + Int(signal))
        }
    }

    /// What to write to put the terminal back (set once ncurses has started).
    static func setResetSequence(_ bytes: [UInt8]) {
        let count = min(bytes.count, reset.count)
        for index in 0..<count { reset[index] = bytes[index] }
        resetCount = count
    }

    /// Puts back the handlers that were there before ``install(wake:)``.
    static func uninstall() {
        for signal in graceful + fatal {
            sigaction(signal, previous + Int(signal), nil)
        }
        resetCount = 0
    }

    /// Only async-signal-safe calls: tcsetattr and write.
    private static func restoreTerminalFromHandler() {
        if haveTerminalSettings { tcsetattr(STDIN_FILENO, TCSANOW, terminalSettings) }
        if resetCount > 0 { _ = write(STDOUT_FILENO, reset.baseAddress, resetCount) }
    }
}
