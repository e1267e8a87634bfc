/// Text attributes a terminal can show without colour.
struct TextAttributes: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The bits.
    let rawValue: UInt8
    /// Attributes from their bits.
    init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Bold (`A_BOLD`).
    static let bold = TextAttributes(rawValue: 1 << 0)
    /// Dim (`A_DIM`).
    static let dim = TextAttributes(rawValue: 1 << 1)
    /// Italic (`A_ITALIC`), where the terminal has it.
    static let italic = TextAttributes(rawValue: 1 << 2)
    /// Underlined (`A_UNDERLINE`).
    static let underline = TextAttributes(rawValue: 1 << 3)
    /// Reverse video (`A_REVERSE`).
    static let reverse = TextAttributes(rawValue: 1 << 4)

    /// Each attribute by the name theme files use.
    static let named: [(String, TextAttributes)] = [
        ("bold", .bold), ("dim", .dim), ("italic", .italic), ("underline", .underline), ("reverse", .reverse),
    ]

    /// `bold underline`, or `none`.
    var description: String {
        let names = Self.named.filter { contains($0.1) }.map(\.0)
        return names.isEmpty ? "none" : names.joined(separator: " ")
    }
}

/// How a role looks: foreground, background, attributes.
struct Style: Hashable, Sendable, CustomStringConvertible {
    /// The text colour.
    var foreground: ThemeColor
    /// The cell colour.
    var background: ThemeColor
    /// Bold, underline, reverse...
    var attributes: TextAttributes

    /// Creates a style.
    init(_ foreground: ThemeColor = .default, _ background: ThemeColor = .default, _ attributes: TextAttributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    /// The terminal's own colours, no attributes.
    static let plain = Style()

    /// As a theme file writes it: `foreground background attributes`.
    var description: String { "\(foreground) \(background) \(attributes)" }
}

/// What the terminal can show.
enum ColorSupport: Equatable, Sendable {
    /// No colours (or `NO_COLOR`): attributes only.
    case monochrome
    /// This many colours (8, 16, 88, 256).
    case colors(Int)

    /// From the terminal's colour count (`COLORS`), `has_colors()` and `NO_COLOR`.
    static func detect(colors: Int, hasColors: Bool, noColor: Bool) -> ColorSupport {
        guard hasColors, !noColor, colors >= 8 else { return .monochrome }
        return .colors(colors)
    }
}

extension Role {
    /// How the role stands out without colour, on top of its theme's own
    /// attributes: the selection in reverse video, headings bold and
    /// underlined, filter matches underlined, PostgreSQL underlined and Redis
    /// not...
    var monochromeEmphasis: TextAttributes {
        switch name {
        case "title", "table.selected", "login.focus", "title.up", "title.off": .reverse
        case "title.slow", "title.down": [.reverse, .bold, .underline]
        case "table.header", "help.title": [.bold, .underline]
        case "table.match": [.bold, .underline]
        case "table.selected.match": [.reverse, .underline]
        case "login.field": .underline
        case "panel.muted": .dim
        case "status.postgres": [.bold, .underline]  // the source of truth, set apart from the cache
        case "status.ok", "status.error", "panel.title", "footer.key", "spinner", "help.key", "login.label": .bold
        default: name.hasPrefix("status.") ? .bold : []
        }
    }
}

extension Style {
    /// The style on a terminal with `support`:
    /// - with enough colours, unchanged;
    /// - with fewer, each colour becomes the nearest one the terminal has
    ///   (bright variants of the 8 basic colours become the basic colour,
    ///   made bold in the foreground; on 8 colours, mid-grey text becomes
    ///   the terminal's own colour, dimmed, rather than black or white that
    ///   may be the background), and text that would vanish into its
    ///   background is turned black or white;
    /// - without colour, the style's attributes with the role's
    ///   ``Role/monochromeEmphasis``.
    func degraded(to support: ColorSupport, for role: Role) -> Style {
        switch support {
        case .monochrome:
            return Style(.default, .default, attributes.union(role.monochromeEmphasis))
        case .colors(let count):
            var result = Style(foreground.degraded(toColors: count), background.degraded(toColors: count), attributes)
            if count < 16, let grey = foreground.greyLevel, (64...191).contains(grey), foreground.degraded(toColors: count) != foreground {
                result.foreground = .default
                result.attributes.insert(.dim)
            } else if count < 16, case .indexed(let index) = foreground, (8..<16).contains(index) {
                result.attributes.insert(.bold)
            }
            if result.foreground != .default, result.foreground == result.background, foreground != background {
                result.foreground = result.background.luminance > 127 ? .indexed(0) : .indexed(7)
            }
            return result.readable(onColors: count)
        }
    }

    /// The least contrast (WCAG's ratio, 1...21) text keeps on a terminal
    /// with fewer than 16 colours.
    static let minimumContrast = 3.0

    /// On a terminal with fewer than 16 colours, text whose colour is too
    /// close to its background (white or yellow on cyan, which is what the
    /// themes' teal and blue become on 8 colours) turns black or white,
    /// whichever stands out more; its attributes keep it apart. With more
    /// colours, or a colour left to the terminal, unchanged.
    func readable(onColors count: Int) -> Style {
        guard count < 16, let ratio = ThemeColor.contrast(foreground, background), ratio < Self.minimumContrast else { return self }
        var result = self
        let onBlack = ThemeColor.contrast(.indexed(0), background) ?? 0
        let onWhite = ThemeColor.contrast(.indexed(7), background) ?? 0
        result.foreground = onBlack >= onWhite ? .indexed(0) : .indexed(7)
        return result
    }
}
