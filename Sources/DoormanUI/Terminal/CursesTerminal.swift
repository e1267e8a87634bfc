internal import CNcursesw
import Foundation

/// The one type that talks to ncurses: it opens the terminal, reads keys as
/// ``InputEvent``s, and shows ``ScreenBuffer`` frames, writing only the cells
/// that changed since the previous frame, in the theme's colours for the
/// terminal at hand (256, 8 or no colours).
///
/// Not thread-safe: create, use and end it on the UI thread.
final class CursesTerminal {
    /// The terminal's size.
    private(set) var size: TerminalSize
    /// What the terminal can show (monochrome with `NO_COLOR`).
    let colorSupport: ColorSupport
    /// The bytes that put the terminal back (leave the alternate screen, show
    /// the cursor, plain attributes, bracketed paste off), for a crash handler
    /// that cannot call ncurses.
    let resetSequence: [UInt8]

    private var theme: Theme
    private var previous: ScreenBuffer?
    private var styles: [Role: (attributes: attr_t, pair: Int16)] = [:]
    private var pairs: [PairKey: Int16] = [:]
    private var defaultColors: Bool
    private var ended = false
    private var cursorVisible = false

    private struct PairKey: Hashable {
        var foreground: Int16
        var background: Int16
    }

    /// Key codes (above ncurses' own) for the start and end of a bracketed paste.
    private static let pasteBegin = doorman_key_max() + 1
    private static let pasteEnd = doorman_key_max() + 2

    /// Opens the terminal on standard input and output. Wraps `newterm`,
    /// `raw`, `noecho`, `keypad`, `set_escdelay(25)`, `start_color`.
    ///
    /// Call `setlocale` first (``TerminalSession`` does).
    init(theme: Theme, noColor: Bool) throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw TerminalError("the terminal UI needs a terminal; use 'doorman login' or 'doorman serve' in scripts")
        }
        let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
        guard doorman_newterm() != nil else {
            throw TerminalError("cannot open the terminal (TERM=\(term.isEmpty ? "unset" : term)): set TERM to your terminal's type")
        }
        // A terminal that cannot move the cursor (TERM=dumb, an editor's
        // shell buffer) would show a blank screen: refuse it as clearly.
        guard doorman_tigetstr("cup") != nil else {
            endwin()
            throw TerminalError(Self.cannotAddressMessage(term: term))
        }
        raw()  // Ctrl-C arrives as a key: quitting goes through the normal path
        noecho()
        nonl()
        keypad(doorman_stdscr(), true)
        nodelay(doorman_stdscr(), true)
        set_escdelay(25)
        _ = curs_set(0)
        define_key("\u{1B}[200~", Self.pasteBegin)
        define_key("\u{1B}[201~", Self.pasteEnd)
        // Mouse reports arrive as bytes for InputDecoder (xterm's SGR mode),
        // not as ncurses' KEY_MOUSE.
        _ = keyok(KEY_MOUSE, false)

        var colorsAvailable = false
        var useDefaults = false
        if has_colors() {
            colorsAvailable = start_color() == OK
            useDefaults = use_default_colors() == OK
        }
        colorSupport = ColorSupport.detect(colors: Int(doorman_colors()), hasColors: colorsAvailable, noColor: noColor)
        defaultColors = useDefaults
        self.theme = theme
        size = TerminalSize(columns: Int(getmaxx(doorman_stdscr())), rows: Int(getmaxy(doorman_stdscr())))

        var reset: [UInt8] = []
        for capability in ["rmcup", "cnorm", "sgr0"] {
            if let value = doorman_tigetstr(capability) {
                reset += Array(String(cString: value).utf8)
            }
        }
        reset += Array("\u{1B}[?1006l\u{1B}[?1000l\u{1B}[?2004l\r\n".utf8)
        resetSequence = reset
        // Pastes arrive between ESC [200~ and ESC [201~ (the terminal ignores
        // this if it cannot), so a paste is refused or taken whole.
        refresh()
        // Mouse: button presses and the wheel, as SGR reports (1000, 1006).
        writeRaw("\u{1B}[?2004h\u{1B}[?1000h\u{1B}[?1006h")
    }

    deinit {
        end()
    }

    /// Why a terminal without cursor addressing is refused.
    static func cannotAddressMessage(term: String) -> String {
        "the terminal UI needs a terminal that can move the cursor, and TERM=\(term.isEmpty ? "unset" : term) cannot: "
            + "set TERM to your terminal's type (e.g. xterm-256color), or use 'doorman login' in scripts"
    }

    /// Puts the terminal back as it was. Safe to call more than once. Wraps `endwin`.
    func end() {
        guard !ended else { return }
        ended = true
        writeRaw("\u{1B}[?1006l\u{1B}[?1000l\u{1B}[?2004l")
        _ = curs_set(1)
        endwin()
    }

    /// Gives the terminal back and stops the process, as a shell's job
    /// control expects of Ctrl-Z (raw mode delivers it as a key, not as the
    /// signal); when `fg` continues it, takes the terminal again and has the
    /// next frame drawn whole. Wraps `def_prog_mode`, `endwin`,
    /// `reset_prog_mode` and `clearok`.
    ///
    /// Only this process stops: the embedded servers it may have started
    /// serve other clients. Where no shell has job control (an orphaned
    /// process group), the kernel drops the signal and the UI carries on.
    func suspend() {
        writeRaw("\u{1B}[?1006l\u{1B}[?1000l\u{1B}[?2004l")
        _ = curs_set(1)
        def_prog_mode()
        endwin()
        // The default action (stop), not ncurses' own handler, for this one
        // signal, raised on this thread with it unblocked here: a signal for
        // the whole process would wait for a thread that takes it (the UI's
        // thread, like Swift's pool, blocks it) and stop the process later.
        var stop = sigaction()
        stop.__sigaction_handler.sa_handler = SIG_DFL
        sigemptyset(&stop.sa_mask)
        var savedAction = sigaction()
        sigaction(SIGTSTP, &stop, &savedAction)
        var tstp = sigset_t()
        sigemptyset(&tstp)
        sigaddset(&tstp, SIGTSTP)
        var savedMask = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &tstp, &savedMask)
        raise(SIGTSTP)
        pthread_sigmask(SIG_SETMASK, &savedMask, nil)
        sigaction(SIGTSTP, &savedAction, nil)
        // Continued.
        reset_prog_mode()
        _ = curs_set(cursorVisible ? 1 : 0)
        writeRaw("\u{1B}[?2004h\u{1B}[?1000h\u{1B}[?1006h")
        size = TerminalSize(columns: Int(getmaxx(doorman_stdscr())), rows: Int(getmaxy(doorman_stdscr())))
        previous = nil
        clearok(doorman_stdscr(), true)
        refresh()
    }

    /// The file descriptor keys arrive on (to wait on with `poll`).
    var inputDescriptor: Int32 { STDIN_FILENO }

    /// Uses `theme` from the next frame on (which is drawn whole).
    func apply(_ theme: Theme) {
        self.theme = theme
        styles = [:]
        previous = nil
    }

    // MARK: - Input

    /// Every event available now, without waiting (except a few milliseconds
    /// to collect the rest of a paste). Wraps `wget_wch`.
    func readEvents() -> [InputEvent] {
        var decoder = InputDecoder()
        while true {
            var value: wint_t = 0
            let status = wget_wch(doorman_stdscr(), &value)
            if status == ERR {
                // A paste without brackets arrives as a burst: wait briefly for
                // its rest so that it is refused or taken whole, never split.
                if decoder.wantsMore && Self.waitForInput(milliseconds: decoder.inPaste ? 200 : 15) { continue }
                break
            }
            if status == doorman_key_code_yes() {
                let code = Int32(value)
                if code == Self.pasteBegin {
                    decoder.feed(.pasteBegin)
                } else if code == Self.pasteEnd {
                    decoder.feed(.pasteEnd)
                } else if code == KEY_RESIZE {
                    size = TerminalSize(columns: Int(getmaxx(doorman_stdscr())), rows: Int(getmaxy(doorman_stdscr())))
                    previous = nil
                    decoder.feed(.resize(size))
                } else if let key = Self.key(forCode: code) {
                    decoder.feed(.key(key))
                }
                continue
            }
            guard let scalar = Unicode.Scalar(UInt32(value)) else { continue }
            decoder.feed(.scalar(scalar))
        }
        return decoder.finish()
    }

    /// `true` when input arrives within `milliseconds`.
    private static func waitForInput(milliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, milliseconds) > 0
    }

    private static func key(forCode code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_HOME, KEY_A1: return .home
        case KEY_END, KEY_C1: return .end
        case KEY_ENTER: return .enter
        case KEY_BTAB: return .backTab
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        default:
            for number in 1...12 where code == doorman_key_f(Int32(number)) {
                return .function(number)
            }
            for number in 1...12 where code == doorman_key_f(Int32(number + 12)) {
                return .shiftFunction(number)
            }
            return nil
        }
    }

    // MARK: - Output

    /// Shows `frame`: writes the cells that differ from the previous frame,
    /// places the cursor, and refreshes. Wraps `mvadd_wch` (through
    /// `doorman_put_cell`) and `refresh`.
    func draw(_ frame: ScreenBuffer) {
        guard frame.size == size else { return }  // a resize is on its way
        let old = previous.flatMap { $0.size == frame.size ? $0 : nil }
        if old == nil { erase() }
        for y in 0..<frame.size.rows {
            let row = frame.row(y)
            guard let changed = changedColumns(row, old?.row(y)) else { continue }
            var (first, last) = (changed.lowerBound, changed.upperBound)
            // Never start or stop in the middle of a wide character.
            let base = row.startIndex
            while first > 0 && row[base + first].width == 0 { first -= 1 }
            if last + 1 < frame.size.columns && row[base + last].width == 2 { last += 1 }
            for x in first...last {
                let cell = row[base + x]
                if cell.width == 0 { continue }
                put(cell, x: x, y: y)
            }
        }
        if let cursor = frame.cursor {
            if !cursorVisible { _ = curs_set(1) }
            cursorVisible = true
            move(Int32(cursor.y), Int32(cursor.x))
        } else if cursorVisible {
            _ = curs_set(0)
            cursorVisible = false
        }
        refresh()
        previous = frame
    }

    /// The first to the last column where `row` differs from `old` (all of it without `old`).
    private func changedColumns(_ row: ArraySlice<ScreenBuffer.Cell>, _ old: ArraySlice<ScreenBuffer.Cell>?) -> ClosedRange<Int>? {
        guard !row.isEmpty else { return nil }
        guard let old else { return 0...(row.count - 1) }
        let (base, oldBase) = (row.startIndex, old.startIndex)
        var first = 0
        while first < row.count && row[base + first] == old[oldBase + first] { first += 1 }
        if first == row.count { return nil }
        var last = row.count - 1
        while last > first && row[base + last] == old[oldBase + last] { last -= 1 }
        return first...last
    }

    private func put(_ cell: ScreenBuffer.Cell, x: Int, y: Int) {
        let style = resolvedStyle(cell.role)
        var characters: [wchar_t] = cell.text.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
        if characters.isEmpty { characters = [0x20] }
        characters.append(0)
        // The bottom-right cell makes ncurses report an error (the cursor
        // cannot move past it) after writing it: nothing to handle.
        _ = doorman_put_cell(Int32(y), Int32(x), characters, style.attributes, style.pair)
    }

    private func resolvedStyle(_ role: Role) -> (attributes: attr_t, pair: Int16) {
        if let cached = styles[role] { return cached }
        let style = theme.style(for: role, on: colorSupport)
        var attributes = doorman_a_normal()
        if style.attributes.contains(.bold) { attributes |= doorman_a_bold() }
        if style.attributes.contains(.dim) { attributes |= doorman_a_dim() }
        if style.attributes.contains(.italic) { attributes |= doorman_a_italic() }
        if style.attributes.contains(.underline) { attributes |= doorman_a_underline() }
        if style.attributes.contains(.reverse) { attributes |= doorman_a_reverse() }
        let resolved = (attributes, pair(style.foreground, style.background))
        styles[role] = resolved
        return resolved
    }

    /// The colour pair for two colours, made on first use. Wraps `init_pair`.
    private func pair(_ foreground: ThemeColor, _ background: ThemeColor) -> Int16 {
        guard case .colors = colorSupport else { return 0 }
        func number(_ color: ThemeColor, fallback: Int16) -> Int16 {
            switch color {
            case .indexed(let index): Int16(index)
            case .default, .rgb: defaultColors ? -1 : fallback
            }
        }
        let key = PairKey(foreground: number(foreground, fallback: 7), background: number(background, fallback: 0))
        if key.foreground == -1 && key.background == -1 { return 0 }
        if let existing = pairs[key] { return existing }
        let next = Int16(pairs.count + 1)
        guard Int32(next) < doorman_color_pairs(), init_pair(next, key.foreground, key.background) == OK else { return 0 }
        pairs[key] = next
        return next
    }

    private func writeRaw(_ text: String) {
        _ = doorman_flush_stdout()
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }
}

/// The terminal could not be opened.
struct TerminalError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
