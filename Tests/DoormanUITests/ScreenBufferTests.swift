import Testing
@testable import DoormanUI

@Suite("Screen buffer")
struct ScreenBufferTests {
    @Test("text is written cell by cell; wide characters take two cells")
    func wide() {
        var buffer = ScreenBuffer(size: TerminalSize(columns: 10, rows: 1))
        let end = buffer.write("A緑B", x: 0, y: 0, role: .tableRow)
        #expect(end == 4)
        #expect(buffer[1, 0].text == "緑")
        #expect(buffer[1, 0].width == 2)
        #expect(buffer[2, 0].width == 0)
        #expect(buffer[3, 0].text == "B")
        #expect(buffer[0, 0].role == .tableRow)
        #expect(buffer.line(0) == "A緑B")
    }

    @Test("writing over half of a wide character blanks the other half")
    func overwriteHalf() {
        var buffer = ScreenBuffer(size: TerminalSize(columns: 6, rows: 1))
        buffer.write("緑茶", x: 0, y: 0, role: .default)
        buffer.write("x", x: 1, y: 0, role: .default)  // the right half of 緑
        #expect(buffer.line(0) == " x茶")
        buffer.write("y", x: 2, y: 0, role: .default)  // the left half of 茶
        #expect(buffer.line(0) == " xy")
        #expect(buffer[3, 0] == .blank(.default))
    }

    @Test("a wide character that does not fit is left out, never split")
    func edge() {
        var buffer = ScreenBuffer(size: TerminalSize(columns: 3, rows: 1))
        let end = buffer.write("ab緑", x: 0, y: 0, role: .default)
        #expect(end == 2)
        #expect(buffer.line(0) == "ab")
        var limited = ScreenBuffer(size: TerminalSize(columns: 10, rows: 1))
        limited.write("緑茶緑", x: 0, y: 0, role: .default, maxWidth: 5)
        #expect(limited.line(0) == "緑茶")
    }

    @Test("a combining mark stays in its character's cell")
    func combining() {
        var buffer = ScreenBuffer(size: TerminalSize(columns: 5, rows: 1))
        buffer.write("E\u{301}X", x: 0, y: 0, role: .default)
        #expect(buffer[0, 0].text == "E\u{301}")
        #expect(buffer[1, 0].text == "X")
    }

    @Test("spans, fills and clipping")
    func spans() {
        var buffer = ScreenBuffer(size: TerminalSize(columns: 8, rows: 2))
        buffer.fill(Rect(x: 6, y: 0, width: 10, height: 5), role: .footer)
        #expect(buffer[7, 1].role == .footer)
        #expect(buffer[5, 1].role == .default)
        buffer.write([Span("ab", .footerKey), Span(" cdefghij", .footer)], x: 1, y: 0, maxWidth: 5)
        #expect(buffer.line(0) == " ab cd")
        #expect(buffer[2, 0].role == .footerKey)
        #expect(buffer[3, 0].role == .footer)
        #expect(buffer.plainText == " ab cd\n")
    }
}
