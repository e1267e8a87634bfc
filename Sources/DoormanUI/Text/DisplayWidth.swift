/// How many terminal columns text takes, counted the way the terminal counts
/// them: by `wcwidth(3)` of each Unicode scalar, never by characters.
///
/// `CAFÉ` is 4 columns, `緑茶` is 4 (two wide characters), `É` written as `E`
/// plus a combining acute accent is 1 (the accent takes no column), `🍕` is 2.
/// The widths come from a table generated from glibc's `wcwidth`
/// (`scripts/generate-width-table.py`), the function ncurses and tmux use, so
/// that Doorman's layout, ncurses' idea of the screen and the terminal agree.
/// Text is laid out in ``TextCell``s: one spacing scalar with the zero-width
/// scalars that follow it (the unit ncurses stores in one `cchar_t`).
///
/// Two zero-width scalars are left out of cells, because terminals disagree
/// about them and any disagreement shifts the rest of the line: the
/// zero-width joiner (`👩‍🍳` is one wide glyph in some terminals, and in
/// tmux, two in others, so it is shown as `👩🍳` everywhere) and the emoji
/// presentation selector U+FE0F (which makes `🌶️` two columns wide in some
/// terminals and one in others, so it shows as `🌶`, one column).
enum DisplayWidth {
    /// The columns one scalar takes: 0 (combining, joiner, variation
    /// selector), 1, or 2 (wide); `nil` for scalars a terminal cannot print
    /// (controls, unassigned code points), which Doorman shows as `�`.
    static func of(_ scalar: Unicode.Scalar) -> Int? {
        let value = scalar.value
        if value < 0x7F { return value >= 0x20 ? 1 : nil }  // ASCII fast path
        if value < 0xA0 { return nil }  // DEL and C1 controls
        if contains(nonPrintable, value) { return nil }
        if contains(zeroWidth, value) { return 0 }
        if contains(doubleWidth, value) { return 2 }
        return 1
    }

    /// The columns `text` takes on screen (unprintable scalars count as the one column of `�`).
    static func of<S: StringProtocol>(_ text: S) -> Int {
        var total = 0
        var started = false
        for scalar in text.unicodeScalars where !isDropped(scalar) {
            let width = of(scalar) ?? 1
            if width == 0 && !started { total += 1 }  // a lone mark sits on a space
            total += width
            started = true
        }
        return total
    }

    /// `text` cut into terminal cells. Unprintable scalars become `�`; a
    /// zero-width scalar with nothing before it is put on a space.
    static func cells<S: StringProtocol>(_ text: S) -> [TextCell] {
        var cells: [TextCell] = []
        cells.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars where !isDropped(scalar) {
            switch of(scalar) {
            case nil:
                cells.append(TextCell(scalars: [replacement], width: 1))
            case 0?:
                if let last = cells.indices.last, cells[last].scalars.count < TextCell.maxScalars {
                    cells[last].scalars.append(scalar)
                } else if cells.isEmpty {
                    cells.append(TextCell(scalars: [" ", scalar], width: 1))
                }
                // More marks than a cell holds: dropped, as ncurses would.
            case let width?:
                cells.append(TextCell(scalars: [scalar], width: width))
            }
        }
        return cells
    }

    /// `text` fitted into `width` columns: unchanged when it fits, otherwise
    /// cut at a cell boundary and ended with `…`.
    static func truncate(_ text: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        if of(text) <= width { return text }
        var result = String.UnicodeScalarView()
        var used = 0
        for cell in cells(text) {
            if used + cell.width > width - 1 { break }
            result.append(contentsOf: cell.scalars)
            used += cell.width
        }
        return String(result) + "…"
    }

    /// `text` padded with spaces to `width` columns (cut with `…` when longer),
    /// aligned to the left or the right.
    static func pad(_ text: String, to width: Int, alignRight: Bool = false) -> String {
        let fitted = truncate(text, to: width)
        let padding = String(repeating: " ", count: max(0, width - of(fitted)))
        return alignRight ? padding + fitted : fitted + padding
    }

    static let replacement: Unicode.Scalar = "\u{FFFD}"

    /// The zero-width joiner and the emoji presentation selector (see above).
    static func isDropped(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value == 0x200D || scalar.value == 0xFE0F
    }

    private static func contains(_ ranges: [ClosedRange<UInt32>], _ value: UInt32) -> Bool {
        var low = 0
        var high = ranges.count - 1
        while low <= high {
            let middle = (low + high) / 2
            let range = ranges[middle]
            if value < range.lowerBound {
                high = middle - 1
            } else if value > range.upperBound {
                low = middle + 1
            } else {
                return true
            }
        }
        return false
    }
}

/// One terminal cell's worth of text: a spacing scalar (1 or 2 columns wide)
/// followed by up to four zero-width scalars (combining marks, a joiner, a
/// variation selector), as ncurses keeps them in one `cchar_t`.
struct TextCell: Hashable, Sendable {
    /// The most scalars ncurses keeps in one cell (`CCHARW_MAX`).
    static let maxScalars = 5

    /// The scalars, the spacing one first.
    var scalars: [Unicode.Scalar]
    /// 1 or 2 columns.
    var width: Int

    /// The cell's text.
    var text: String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
