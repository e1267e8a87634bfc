/// The size of the terminal, in cells.
public struct TerminalSize: Equatable, Sendable, CustomStringConvertible {
    /// Columns.
    public var columns: Int
    /// Rows.
    public var rows: Int

    /// Creates a size.
    public init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
    }

    /// The smallest terminal Doorman draws in.
    public static let minimum = TerminalSize(columns: 60, rows: 15)

    /// `true` when Doorman can draw in it.
    public var isUsable: Bool { columns >= Self.minimum.columns && rows >= Self.minimum.rows }

    /// `100×30`.
    public var description: String { "\(columns)×\(rows)" }
}

/// A rectangle of cells.
public struct Rect: Equatable, Sendable {
    /// The left column.
    public var x: Int
    /// The top row.
    public var y: Int
    /// Columns.
    public var width: Int
    /// Rows.
    public var height: Int

    /// Creates a rectangle.
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    /// The row below the last.
    public var maxY: Int { y + height }
    /// The column right of the last.
    public var maxX: Int { x + width }

    /// The rectangle shrunk by `by` cells on every side (inside a frame).
    public func inset(by amount: Int) -> Rect {
        Rect(x: x + amount, y: y + amount, width: width - 2 * amount, height: height - 2 * amount)
    }
}
