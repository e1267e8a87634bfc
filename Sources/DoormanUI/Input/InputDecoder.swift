/// Turns what the terminal delivers (characters, ncurses' key codes, paste
/// brackets) into ``InputEvent``s. Pure and fed one item at a time, so that
/// the terminal's escape sequences are unit-tested without a terminal:
///
/// - printable characters that arrive together become one `.text` (a paste
///   without brackets is taken or refused whole); between the paste brackets
///   everything is text, newlines included;
/// - Esc followed at once by a character is Alt and that character
///   (`ESC f` is M-f), never Esc then `f`: a terminal sends M-f that way,
///   and taking it apart flushed the cache or cleared the form;
/// - escape sequences ncurses does not know (`ESC [ 1 ; 5 C`) are dropped
///   whole, never typed into a field.
struct InputDecoder {
    /// One thing read from the terminal.
    enum Raw: Equatable {
        /// A character (`wget_wch` answered `OK`).
        case scalar(Unicode.Scalar)
        /// A key ncurses decoded (`KEY_CODE_YES`).
        case key(Key)
        /// The start and end of a bracketed paste.
        case pasteBegin, pasteEnd
        /// The terminal's new size.
        case resize(TerminalSize)
    }

    private enum Escape: Equatable {
        /// Nothing pending.
        case none
        /// Esc arrived; what follows decides.
        case pending
        /// Inside `ESC [ ...` up to its final byte.
        case controlSequence
        /// After `ESC O`: one more character.
        case singleShift
    }

    /// The most text one paste may carry; anything longer is refused anyway.
    static let maxPasteScalars = 1 << 20

    private(set) var events: [InputEvent] = []
    private var text = String.UnicodeScalarView()
    private(set) var inPaste = false
    private var pasteLength = 0
    private var escape = Escape.none
    /// The parameters of the control sequence being read.
    private var sequence = ""

    init() {}

    /// `true` while a paste (or a burst of typed text) may still be arriving:
    /// the caller waits briefly for its rest.
    var wantsMore: Bool { inPaste || text.count > 1 }

    /// Takes one item.
    mutating func feed(_ raw: Raw) {
        switch raw {
        case .pasteBegin:
            endEscape()
            flushText()
            inPaste = true
            pasteLength = 0
        case .pasteEnd:
            inPaste = false
            flushText()
        case .resize(let size):
            endEscape()
            flushText()
            events.append(.resize(size))
        case .key(let key):
            if inPaste { return }
            endEscape()
            flushText()
            events.append(.key(key))
        case .scalar(let scalar):
            if inPaste {
                pasteLength += 1
                if pasteLength <= Self.maxPasteScalars { text.append(scalar) }
                return
            }
            feedTyped(scalar)
        }
    }

    private mutating func feedTyped(_ scalar: Unicode.Scalar) {
        switch escape {
        case .controlSequence:
            // Parameter and intermediate bytes, then one final byte ends it.
            if (0x40...0x7E).contains(scalar.value) || scalar.value < 0x20 {
                escape = .none
                if let mouse = Self.mouse(sequence, final: scalar) {
                    flushText()
                    events.append(.mouse(mouse))
                }
                sequence = ""
            } else if sequence.count < 32 {
                sequence.unicodeScalars.append(scalar)
            }
            return
        case .singleShift:
            escape = .none
            return
        case .pending:
            escape = .none
            if scalar == "[" { escape = .controlSequence; sequence = ""; return }
            if scalar == "O" { escape = .singleShift; return }
            if scalar.value >= 0x20 && scalar.value != 0x7F {
                flushText()
                events.append(.key(.alt(Character(scalar))))
                return
            }
            events.append(.key(.escape))
        case .none:
            break
        }
        if scalar.value == 0x1B {
            flushText()
            escape = .pending
        } else if let key = Self.key(forControl: scalar) {
            flushText()
            events.append(.key(key))
        } else if scalar.value >= 0x20 {
            text.append(scalar)
        }
    }

    /// Everything decoded so far; a lone Esc at the end is the Esc key.
    mutating func finish() -> [InputEvent] {
        endEscape()
        flushText()
        defer { events = [] }
        return events
    }

    private mutating func endEscape() {
        if escape == .pending {
            flushText()
            events.append(.key(.escape))
        }
        escape = .none
    }

    private mutating func flushText() {
        if !text.isEmpty {
            events.append(.text(String(text)))
            text = String.UnicodeScalarView()
        }
    }

    /// xterm's SGR mouse report `<b;x;y` ended by `M` (press) or `m`
    /// (release, ignored); coordinates from 1 on the wire, from 0 here.
    static func mouse(_ parameters: String, final: Unicode.Scalar) -> MouseEvent? {
        guard final == "M" || final == "m", parameters.hasPrefix("<") else { return nil }
        let numbers = parameters.dropFirst().split(separator: ";").compactMap { Int($0) }
        guard numbers.count == 3, final == "M" else { return nil }
        let (button, x, y) = (numbers[0], numbers[1] - 1, numbers[2] - 1)
        guard button & 32 == 0 else { return nil }  // motion
        switch button & ~0b11100 {  // without Shift, Meta, Ctrl
        case 64: return MouseEvent(.wheelUp, x: x, y: y)
        case 65: return MouseEvent(.wheelDown, x: x, y: y)
        case 0, 1, 2: return MouseEvent(.press(button & 0b11), x: x, y: y)
        default: return nil
        }
    }

    static func key(forControl scalar: Unicode.Scalar) -> Key? {
        switch scalar.value {
        case 0x09: .tab
        case 0x0A, 0x0D: .enter
        case 0x1B: .escape
        case 0x7F, 0x08: .backspace
        case 0x01...0x1A: .control(Character(Unicode.Scalar(scalar.value + 0x40)!))
        default: nil
        }
    }
}
