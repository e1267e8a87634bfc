extension ScreenBuffer {
    /// Draws a frame around `rect` with an optional title in its top edge.
    mutating func box(_ rect: Rect, title: String? = nil, border: Role = .panelBorder, titleRole: Role = .panelTitle) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let right = rect.maxX - 1
        let bottom = rect.maxY - 1
        write("┌" + String(repeating: "─", count: rect.width - 2) + "┐", x: rect.x, y: rect.y, role: border)
        for y in (rect.y + 1)..<bottom {
            write("│", x: rect.x, y: y, role: border)
            write("│", x: right, y: y, role: border)
        }
        write("└" + String(repeating: "─", count: rect.width - 2) + "┘", x: rect.x, y: bottom, role: border)
        if let title, rect.width > 6 {
            write(" \(DisplayWidth.truncate(title, to: rect.width - 6)) ", x: rect.x + 2, y: rect.y, role: titleRole)
        }
    }

    /// Writes `text` centred in row `y` of `rect`.
    mutating func center(_ text: String, in rect: Rect, y: Int, role: Role) {
        let fitted = DisplayWidth.truncate(text, to: rect.width)
        let x = rect.x + max(0, (rect.width - DisplayWidth.of(fitted)) / 2)
        write(fitted, x: x, y: y, role: role)
    }
}

/// Small charts from block characters.
enum Sparkline {
    /// The eight bar heights, lowest first.
    static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// The bar for `value` on a scale up to `maximum` (the smallest bar for
    /// anything above zero, so that a fast store stays visible).
    static func bar(_ value: Double, maximum: Double) -> Character {
        guard maximum > 0, value > 0 else { return levels[0] }
        let level = Int((value / maximum * Double(levels.count)).rounded(.up)) - 1
        return levels[max(0, min(levels.count - 1, level))]
    }

    /// One bar per value, scaled to `maximum`.
    static func line(_ values: [Double], maximum: Double) -> String {
        String(values.map { bar($0, maximum: maximum) })
    }
}

extension Double {
    /// Milliseconds for the panel: `0.05`, `1.9`, `46`, `1204`.
    var compactMilliseconds: String {
        if self < 1 { return String(fixed: self, digits: 2) }
        if self < 10 { return String(fixed: self, digits: 1) }
        return String(Int(self.rounded()))
    }
}
