import Testing
@testable import DoormanUI

/// The input decoder on the bytes terminals really send.
@Suite("Input decoder")
struct InputDecoderTests {
    static func decode(_ raws: [InputDecoder.Raw]) -> [InputEvent] {
        var decoder = InputDecoder()
        for raw in raws { decoder.feed(raw) }
        return decoder.finish()
    }

    static func decode(_ typed: String) -> [InputEvent] {
        decode(typed.unicodeScalars.map { .scalar($0) })
    }

    @Test("Alt+letter (ESC then the letter at once) is one key, never Esc then the letter")
    func altLetter() {
        #expect(Self.decode("\u{1B}f") == [.key(.alt("f"))])
        #expect(Self.decode("\u{1B}b") == [.key(.alt("b"))])
        #expect(Self.decode("ab\u{1B}dcd") == [.text("ab"), .key(.alt("d")), .text("cd")])
    }

    @Test("a lone Esc is the Esc key; Esc Esc is two; Esc before a key code or a control key stays Esc")
    func loneEscape() {
        #expect(Self.decode("\u{1B}") == [.key(.escape)])
        #expect(Self.decode("\u{1B}\u{1B}") == [.key(.escape), .key(.escape)])
        #expect(Self.decode([.scalar("\u{1B}"), .key(.up)]) == [.key(.escape), .key(.up)])
        #expect(Self.decode("\u{1B}\r") == [.key(.escape), .key(.enter)])
    }

    @Test("escape sequences ncurses does not know are dropped whole, never typed")
    func unknownSequences() {
        #expect(Self.decode("\u{1B}[1;5C") == [])
        #expect(Self.decode("\u{1B}[1;5Cx") == [.text("x")])
        #expect(Self.decode("\u{1B}OP") == [])
        #expect(Self.decode("\u{1B}[3;2~") == [])
    }

    @Test("xterm's SGR mouse reports: the wheel, a left click (from 0), releases and motion ignored, never typed")
    func mouse() {
        #expect(Self.decode("\u{1B}[<64;10;5M") == [.mouse(MouseEvent(.wheelUp, x: 9, y: 4))])
        #expect(Self.decode("\u{1B}[<65;1;1M") == [.mouse(MouseEvent(.wheelDown, x: 0, y: 0))])
        #expect(Self.decode("\u{1B}[<0;12;7M\u{1B}[<0;12;7m") == [.mouse(MouseEvent(.press(0), x: 11, y: 6))])
        #expect(Self.decode("\u{1B}[<35;12;7M") == [])
        #expect(Self.decode("ab\u{1B}[<65;3;3Mcd") == [.text("ab"), .mouse(MouseEvent(.wheelDown, x: 2, y: 2)), .text("cd")])
        #expect(Self.decode("\u{1B}[<64;10;5") == [])  // cut short: dropped, not typed
    }

    @Test("the wheel moves the selection by three rows; a click selects the row under it, on a heading sorts; in the help the wheel scrolls")
    func mouseInTheTable() {
        var state = AppState.make()
        state.logInWithProducts(Fixtures.products)
        for event in Self.decode("\u{1B}[<65;10;5M") { state.send(event) }
        #expect(state.table.selected == 3)
        for event in Self.decode("\u{1B}[<64;10;5M") { state.send(event) }
        #expect(state.table.selected == 0)
        // Row 1 is the title, row 2 the heading: the screen's 8th row (y 7) is the 6th product.
        for event in Self.decode("\u{1B}[<0;10;8M") { state.send(event) }
        #expect(state.selectedName == "ラーメン RAMEN BOWL")
        // A click on the panel selects nothing.
        for event in Self.decode("\u{1B}[<0;90;8M") { state.send(event) }
        #expect(state.selectedName == "ラーメン RAMEN BOWL")
        // A click on a heading sorts by it; again reverses.
        for event in Self.decode("\u{1B}[<0;10;2M") { state.send(event) }
        #expect(state.table.sort == SortOrder(.name))
        #expect(state.table.selected == 0)
        for event in Self.decode("\u{1B}[<0;10;2M") { state.send(event) }
        #expect(state.table.sort == SortOrder(.name, ascending: false))
        for event in Self.decode("\u{1B}[<0;58;2M") { state.send(event) }
        #expect(state.table.sort == SortOrder(.price))
        for event in Self.decode("\u{1B}[<0;3;2M") { state.send(event) }
        #expect(state.table.sort == SortOrder(.id))
        state.press(.character("?"))
        let before = state.help?.scroll ?? 0
        for event in Self.decode("\u{1B}[<65;10;5M") { state.send(event) }
        #expect((state.help?.scroll ?? 0) == before + 3)
    }

    @Test("typed text arrives as one event; control keys split it; a paste is text whole, newlines and Esc included")
    func textAndPaste() {
        #expect(Self.decode("john") == [.text("john")])
        #expect(Self.decode("jo\thn") == [.text("jo"), .key(.tab), .text("hn")])
        #expect(Self.decode("\u{17}") == [.key(.control("W"))])
        let paste: [InputDecoder.Raw] = [.pasteBegin] + "secret\n\u{1B}f".unicodeScalars.map { .scalar($0) } + [.pasteEnd]
        #expect(Self.decode(paste) == [.text("secret\n\u{1B}f")])
    }

    @Test("Alt keys are ignored where they are not bound: M-f in the table is no flush, M-b in the form no clear")
    func unboundAlt() {
        #expect(Keymap.standard.command(for: .alt("f"), in: .table) == nil)
        #expect(Keymap.standard.command(for: .alt("b"), in: .table) == nil)
        #expect(Keymap.standard.command(for: .alt("b"), in: .login) == .cursorWordLeft)
        var state = AppState.make()
        state.logInWithProducts(Fixtures.products)
        for event in Self.decode("\u{1B}f\u{1B}F\u{1B}b\u{1B}l") { #expect(state.send(event) == []) }
        #expect(state.screen == .products)
        #expect(!state.flushPending)
        #expect(state.burst == nil)
    }
}

@Suite("Text field words")
struct TextFieldWordTests {
    static func field(_ text: String) -> TextField {
        var field = TextField(limit: .characters(50))
        _ = field.insert(text)
        return field
    }

    @Test("M-b and M-f move by words (letters and digits), as readline does")
    func moves() {
        var field = Self.field("john_doe 42x")
        field.moveWordLeft()
        #expect(field.cursor == 9)
        field.moveWordLeft()
        #expect(field.cursor == 5)
        field.moveWordLeft()
        #expect(field.cursor == 0)
        field.moveWordLeft()
        #expect(field.cursor == 0)
        field.moveWordRight()
        #expect(field.cursor == 4)
        field.moveWordRight()
        #expect(field.cursor == 8)
        field.moveWordRight()
        #expect(field.cursor == 12)
    }

    @Test("M-d deletes the next word, Ctrl-W the previous one up to a space")
    func deletes() {
        var field = Self.field("john_doe and mary")
        field.moveCursor(toEnd: false)
        field.deleteWordForward()
        #expect(field.text == "_doe and mary")
        #expect(field.cursor == 0)
        field.moveCursor(toEnd: true)
        field.deleteWordBackward()
        #expect(field.text == "_doe and ")
        field.deleteWordBackward()
        #expect(field.text == "_doe ")
        field.deleteWordBackward()
        #expect(field.text == "")
        #expect(field.cursor == 0)
    }

    @Test("in the form: M-b then typing inserts inside the username; Ctrl-W deletes a word")
    func inTheForm() {
        var state = AppState.make()
        state.type("john_doe")
        for event in InputDecoderTests.decode("\u{1B}b") { state.send(event) }
        state.type("X")
        #expect(state.login.username.text == "john_Xdoe")
        state.press(.control("W"))
        #expect(state.login.username.text == "doe")
    }
}
