/// A frame of the screen in memory: a grid of cells, each holding the text of
/// one terminal cell, its width and its ``Role``. Views draw into it; the
/// terminal renderer compares it with the previous frame and writes only the
/// cells that changed; tests read it back as plain text.
///
/// A wide character (CJK, most emoji) takes two cells: the first holds it
/// with width 2, the second is a continuation with width 0. Writing over
/// either half of a wide character blanks the other half, as a terminal does.
struct ScreenBuffer: Equatable, Sendable {
    /// One cell.
    struct Cell: Equatable, Sendable {
        /// The text: a spacing character with its combining marks; empty in a
        /// wide character's continuation.
        var text: String
        /// 1, 2 (a wide character's first half) or 0 (its second half).
        var width: UInt8
        /// What it is for (its colours come from the theme).
        var role: Role

        /// A space in `role`.
        static func blank(_ role: Role) -> Cell { Cell(text: " ", width: 1, role: role) }
    }

    /// A cell position.
    struct Point: Equatable, Sendable {
        /// Column.
        var x: Int
        /// Row.
        var y: Int

        /// Creates a position.
        init(x: Int, y: Int) {
            self.x = x
            self.y = y
        }
    }

    /// The grid's size.
    let size: TerminalSize
    /// The cells, row by row.
    private(set) var cells: [Cell]
    /// Where the terminal's cursor should be shown (in a text field), if anywhere.
    var cursor: Point?

    /// A blank grid.
    init(size: TerminalSize, role: Role = .default) {
        self.size = size
        cells = Array(repeating: .blank(role), count: max(0, size.columns) * max(0, size.rows))
    }

    /// The cell at (`x`, `y`).
    subscript(x: Int, y: Int) -> Cell {
        cells[y * size.columns + x]
    }

    /// The cells of row `y`.
    func row(_ y: Int) -> ArraySlice<Cell> {
        cells[(y * size.columns)..<((y + 1) * size.columns)]
    }

    /// Fills `rect` (clipped to the grid) with spaces in `role`.
    mutating func fill(_ rect: Rect, role: Role) {
        let clipped = clip(rect)
        guard clipped.width > 0 else { return }
        for y in clipped.y..<clipped.maxY {
            for x in clipped.x..<clipped.maxX {
                put(TextCell(scalars: [" "], width: 1), x: x, y: y, role: role)
            }
        }
    }

    /// Writes `text` from (`x`, `y`) in `role`, using at most `maxWidth`
    /// columns (and never past the right edge); a wide character that does
    /// not fit is left out. Returns the column after the last one written.
    @discardableResult
    mutating func write(_ text: String, x: Int, y: Int, role: Role, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < size.rows else { return x }
        let limit = min(size.columns, x + (maxWidth ?? size.columns))
        var column = x
        for cell in DisplayWidth.cells(text) {
            if column + cell.width > limit { break }
            if column >= 0 { put(cell, x: column, y: y, role: role) }
            column += cell.width
        }
        return column
    }

    /// Writes a run of styled pieces from (`x`, `y`) within `maxWidth` columns.
    @discardableResult
    mutating func write(_ spans: [Span], x: Int, y: Int, maxWidth: Int) -> Int {
        var column = x
        for span in spans {
            let remaining = x + maxWidth - column
            if remaining <= 0 { break }
            column = write(span.text, x: column, y: y, role: span.role, maxWidth: remaining)
        }
        return column
    }

    /// Puts one cell at (`x`, `y`), blanking any wide character it cuts in half.
    mutating func put(_ cell: TextCell, x: Int, y: Int, role: Role) {
        guard x >= 0, y >= 0, x < size.columns, y < size.rows else { return }
        let index = y * size.columns + x
        if cell.width == 2 && x == size.columns - 1 {
            breakWide(at: x, y: y)
            cells[index] = .blank(role)
            return
        }
        breakWide(at: x, y: y)
        if cell.width == 2 { breakWide(at: x + 1, y: y) }
        cells[index] = Cell(text: cell.text, width: UInt8(cell.width), role: role)
        if cell.width == 2 {
            cells[index + 1] = Cell(text: "", width: 0, role: role)
        }
    }

    /// Row `y` as text (a wide character once, trailing spaces removed).
    func line(_ y: Int) -> String {
        var text = ""
        for cell in row(y) where cell.width > 0 { text += cell.text }
        while text.last == " " { text.removeLast() }
        return text
    }

    /// The whole grid as text, one line per row: what snapshot tests compare.
    var plainText: String {
        (0..<size.rows).map(line).joined(separator: "\n")
    }

    /// If (`x`, `y`) is half of a wide character, blanks the other half.
    private mutating func breakWide(at x: Int, y: Int) {
        guard x >= 0, x < size.columns else { return }
        let index = y * size.columns + x
        let cell = cells[index]
        if cell.width == 0 && x > 0 {
            cells[index - 1] = .blank(cells[index - 1].role)
        } else if cell.width == 2 && x + 1 < size.columns {
            cells[index + 1] = .blank(cells[index + 1].role)
        }
        if cell.width != 1 { cells[index] = .blank(cell.role) }
    }

    private func clip(_ rect: Rect) -> Rect {
        let x = max(0, rect.x)
        let y = max(0, rect.y)
        return Rect(x: x, y: y, width: min(size.columns, rect.maxX) - x, height: min(size.rows, rect.maxY) - y)
    }
}

/// A piece of text in one role.
struct Span: Equatable, Sendable {
    /// The text.
    var text: String
    /// Its role.
    var role: Role

    /// Creates a span.
    init(_ text: String, _ role: Role) {
        self.text = text
        self.role = role
    }
}
