import Foundation

/// A theme: how each role looks, read from a `.theme` file.
///
/// ```
/// # role = foreground background [attributes...]
/// table.header   = bright-white 24 bold
/// table.selected = black cyan
/// status.redis   = red default bold
/// ```
///
/// Colours are `default`, the eight names (`black` … `white`), their
/// `bright-` variants, `0`-`255` from the 256-colour palette, or `#rrggbb`;
/// attributes are `bold`, `dim`, `italic`, `underline`, `reverse` (or `none`).
/// `#` starts a comment (except in a `#rrggbb` colour).
/// A role the theme leaves out looks like its parent (`table.selected.match`
/// → `table.selected` → `table` → `default`).
struct Theme: Equatable, Sendable {
    /// The theme's name (its file name without `.theme`).
    var name: String
    /// The styles it sets, by role name.
    var styles: [String: Style]
    /// The file it came from, if any.
    var path: String?

    /// Creates a theme.
    init(name: String, styles: [String: Style], path: String? = nil) {
        self.name = name
        self.styles = styles
        self.path = path
    }

    /// The style of `role`: its own, or its nearest parent's.
    func style(for role: Role) -> Style {
        var current: Role? = role
        while let candidate = current {
            if let style = styles[candidate.name] { return style }
            current = candidate.parent
        }
        return .plain
    }

    /// The style of `role` on a terminal with `support`. A `default` colour
    /// in a role means the theme's own `default` role colour: a theme that
    /// sets `default = 235 255` draws every role on that background, never on
    /// whatever the terminal happens to have (dark text on a dark terminal).
    func style(for role: Role, on support: ColorSupport) -> Style {
        var resolved = style(for: role)
        let base = style(for: .default)
        if resolved.foreground == .default { resolved.foreground = base.foreground }
        if resolved.background == .default { resolved.background = base.background }
        var degraded = resolved.degraded(to: support, for: role)
        // Degrading may hand a colour back to the terminal (mid grey becomes
        // the terminal's own, dimmed): the theme's default again, if it has one.
        if case .colors(let count) = support {
            let degradedBase = base.degraded(to: support, for: .default)
            if degraded.foreground == .default { degraded.foreground = degradedBase.foreground }
            if degraded.background == .default { degraded.background = degradedBase.background }
            degraded = degraded.readable(onColors: count)
        }
        return degraded
    }

    /// The roles whose text colour is set while their background is left to
    /// the terminal: such text is only readable on the background the theme
    /// was made for. Empty for a well-formed theme (it sets `default`'s
    /// background, or leaves every text colour to the terminal as well).
    var rolesRelyingOnTerminalBackground: [Role] {
        Role.all.filter { role in
            let resolved = style(for: role, on: .colors(256))
            return resolved.foreground != .default && resolved.background == .default
        }
    }

    /// The theme used when no theme file can be read: the terminal's own
    /// colours, with each role's monochrome emphasis.
    static let builtIn = Theme(name: "built-in", styles: [:])

    /// Reads a theme from the text of a file; errors name `path` and the line.
    static func parse(_ text: String, name: String, path: String) throws(ThemeError) -> Theme {
        var styles: [String: Style] = [:]
        var lines: [String: Int] = [:]
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            func fail(_ message: String) -> ThemeError { ThemeError(path: path, line: number, message: message) }
            let trimmed = rawLine.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let parts = trimmed.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw fail("expected 'role = foreground background [attributes]', found '\(DisplayWidth.truncate(trimmed, to: 40))'")
            }
            let role = parts[0].trimmingCharacters(in: .whitespaces)
            guard Role.isKnown(role) else {
                throw fail("unknown role '\(role)'")
            }
            if let previous = lines[role] {
                throw fail("'\(role)' is already set on line \(previous)")
            }
            let separators: Set<Character> = [" ", "\t", ","]
            // A word starting with # begins a comment, unless it is a #rrggbb colour.
            let words: [String] = parts[1].split(whereSeparator: { separators.contains($0) }).map { String($0) }
                .prefix { !$0.hasPrefix("#") || ThemeColor(parsing: $0) != nil }
            guard !words.isEmpty else { throw fail("'\(role)' has no colours; write e.g. '\(role) = default default'") }
            var colors: [ThemeColor] = []
            var attributes: TextAttributes = []
            for word in words {
                if let attribute = TextAttributes.named.first(where: { $0.0 == word.lowercased() })?.1 {
                    attributes.insert(attribute)
                } else if word.lowercased() == "none" || word.lowercased() == "normal" {
                    continue
                } else if let color = ThemeColor(parsing: word) {
                    guard attributes.isEmpty else { throw fail("colour '\(word)' after an attribute; colours come first") }
                    guard colors.count < 2 else { throw fail("more than two colours for '\(role)' (foreground, background)") }
                    colors.append(color)
                } else {
                    throw fail("unknown colour or attribute '\(word)'")
                }
            }
            styles[role] = Style(colors.first ?? .default, colors.count > 1 ? colors[1] : .default, attributes)
            lines[role] = number
        }
        return Theme(name: name, styles: styles, path: path)
    }
}

/// A theme file that cannot be used, with the file and line to fix.
struct ThemeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file.
    var path: String
    /// The line (from 1), when the problem is on one.
    var line: Int?
    /// What is wrong.
    var message: String

    /// Creates an error.
    init(path: String, line: Int? = nil, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    /// `themes/bad.theme:12: unknown colour or attribute 'purpel' …`.
    var description: String {
        line.map { "\(path):\($0): \(message)" } ?? "\(path): \(message)"
    }

    /// The same with the file's name only (`bad.theme:12: …`), for a
    /// one-line footer; the whole text is printed before the UI starts.
    var shortDescription: String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        let text = line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)"
        // The list of directories searched is in the printed text.
        if let cut = text.range(of: " (looked in ") { return String(text[..<cut.lowerBound]) }
        return text
    }
}

