/// The size of the terminal, in cells.
struct TerminalSize: Equatable, Sendable, CustomStringConvertible {
    /// Columns.
    var columns: Int
    /// Rows.
    var rows: Int

    /// Creates a size.
    init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
    }

    /// The smallest terminal Doorman draws in.
    static let minimum = TerminalSize(columns: 60, rows: 15)

    /// `true` when Doorman can draw in it.
    var isUsable: Bool { columns >= Self.minimum.columns && rows >= Self.minimum.rows }

    /// `100×30`.
    var description: String { "\(columns)×\(rows)" }
}

/// A rectangle of cells.
struct Rect: Equatable, Sendable {
    /// The left column.
    var x: Int
    /// The top row.
    var y: Int
    /// Columns.
    var width: Int
    /// Rows.
    var height: Int

    /// Creates a rectangle.
    init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    /// The row below the last.
    var maxY: Int { y + height }
    /// The column right of the last.
    var maxX: Int { x + width }

    /// The rectangle shrunk by `by` cells on every side (inside a frame).
    func inset(by amount: Int) -> Rect {
        Rect(x: x + amount, y: y + amount, width: width - 2 * amount, height: height - 2 * amount)
    }
}
