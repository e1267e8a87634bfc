import Foundation

/// A colour as a theme names it: the terminal's own default, one of the 256
/// palette entries (0-7 the basic colours, 8-15 their bright variants), or an
/// RGB value that is shown as the nearest palette entry.
enum ThemeColor: Hashable, Sendable, CustomStringConvertible {
    /// The terminal's default foreground or background.
    case `default`
    /// A palette entry, 0...255.
    case indexed(Int)
    /// A true colour, shown as the nearest palette entry.
    case rgb(UInt8, UInt8, UInt8)

    /// The basic colours' names, in palette order.
    static let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    /// Parses `default`, a name (`red`, `bright-red`, `gray`), `0`-`255`,
    /// `color0`-`color255` or `#rrggbb`; `nil` for anything else.
    init?(parsing text: String) {
        let word = text.lowercased()
        if word == "default" {
            self = .default
        } else if let index = Self.names.firstIndex(of: word) {
            self = .indexed(index)
        } else if word.hasPrefix("bright-"), let index = Self.names.firstIndex(of: String(word.dropFirst(7))) {
            self = .indexed(index + 8)
        } else if word == "gray" || word == "grey" {
            self = .indexed(8)
        } else if let number = Int(word.hasPrefix("color") ? String(word.dropFirst(5)) : word), (0...255).contains(number) {
            self = .indexed(number)
        } else if word.hasPrefix("#"), word.count == 7, let value = UInt32(word.dropFirst(), radix: 16) {
            self = .rgb(UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF))
        } else {
            return nil
        }
    }

    /// As a theme file writes it: `default`, `red`, `bright-red`, `203`, `#ff5f5f`.
    var description: String {
        switch self {
        case .default: "default"
        case .indexed(let index) where index < 8: Self.names[index]
        case .indexed(let index) where index < 16: "bright-" + Self.names[index - 8]
        case .indexed(let index): String(index)
        case .rgb(let red, let green, let blue):
            "#" + [red, green, blue].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
    }

    /// The colour on a terminal with `count` colours (8, 16, 88, 256...):
    /// unchanged when the terminal has it, else the nearest one it has; a
    /// grey stays a grey (black, white, and on 16 colours bright black),
    /// since by distance a mid grey is nearest to yellow.
    func degraded(toColors count: Int) -> ThemeColor {
        switch self {
        case .default:
            return .default
        case .indexed(let index) where index < count:
            return self
        case .indexed(let index) where index < 16 && count >= 8:
            return .indexed(index - 8)  // bright red → red
        case .indexed(let index):
            return .indexed(Self.nearest(to: Self.rgb(ofIndex: index), among: min(count, 256)))
        case .rgb(let red, let green, let blue):
            return .indexed(Self.nearest(to: (Int(red), Int(green), Int(blue)), among: min(count, 256)))
        }
    }

    /// The palette entry (below `count`) closest to `color`; only greys for a grey.
    static func nearest(to color: (Int, Int, Int), among count: Int) -> Int {
        var best = 0
        var bestDistance = Int.max
        let grey = isGrey(color)
        for index in 0..<max(1, count) {
            let entry = rgb(ofIndex: index)
            if grey && !isGrey(entry) { continue }
            let distance = square(entry.0 - color.0) + square(entry.1 - color.1) + square(entry.2 - color.2)
            if distance < bestDistance {
                best = index
                bestDistance = distance
            }
        }
        return best
    }

    /// xterm's RGB for a palette entry.
    static func rgb(ofIndex index: Int) -> (Int, Int, Int) {
        let basic: [(Int, Int, Int)] = [
            (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
            (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
        ]
        if index < 16 { return basic[max(0, index)] }
        if index < 232 {
            let levels = [0, 95, 135, 175, 215, 255]
            let cube = index - 16
            return (levels[cube / 36], levels[(cube / 6) % 6], levels[cube % 6])
        }
        let gray = 8 + 10 * (index - 232)
        return (gray, gray, gray)
    }

    /// `true` for a neutral colour (its channels within 10 of each other).
    static func isGrey(_ color: (Int, Int, Int)) -> Bool {
        max(color.0, color.1, color.2) - min(color.0, color.1, color.2) <= 10
    }

    /// The brightness of a grey colour (`nil` for `default` and other colours).
    var greyLevel: Int? {
        let value: (Int, Int, Int)
        switch self {
        case .default: return nil
        case .indexed(let index): value = Self.rgb(ofIndex: index)
        case .rgb(let red, let green, let blue): value = (Int(red), Int(green), Int(blue))
        }
        return Self.isGrey(value) ? value.0 : nil
    }

    /// Perceived brightness, 0...255 (for keeping text readable after degrading).
    var luminance: Int {
        let (red, green, blue): (Int, Int, Int) = switch self {
        case .default: (128, 128, 128)
        case .indexed(let index): Self.rgb(ofIndex: index)
        case .rgb(let red, let green, let blue): (Int(red), Int(green), Int(blue))
        }
        return (299 * red + 587 * green + 114 * blue) / 1000
    }

    /// WCAG's relative luminance (0...1) of the colour as xterm shows it; `nil` for `default`.
    var relativeLuminance: Double? {
        let (red, green, blue): (Int, Int, Int)
        switch self {
        case .default: return nil
        case .indexed(let index): (red, green, blue) = Self.rgb(ofIndex: index)
        case .rgb(let r, let g, let b): (red, green, blue) = (Int(r), Int(g), Int(b))
        }
        func linear(_ channel: Int) -> Double {
            let value = Double(channel) / 255
            return value <= 0.03928 ? value / 12.92 : pow((value + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    }

    /// WCAG's contrast ratio (1...21) between two colours; `nil` when either
    /// is the terminal's own (unknown here).
    static func contrast(_ first: ThemeColor, _ second: ThemeColor) -> Double? {
        guard let a = first.relativeLuminance, let b = second.relativeLuminance else { return nil }
        return (max(a, b) + 0.05) / (min(a, b) + 0.05)
    }

    private static func square(_ value: Int) -> Int { value * value }
}
