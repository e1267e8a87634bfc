import Foundation
import Testing
@testable import DoormanUI

@Suite("Themes")
struct ThemeTests {
    static let shipped = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("themes")

    @Test("the shipped themes parse and style every role", arguments: ["dark", "light", "high-contrast", "monochrome"])
    func shippedThemes(_ name: String) throws {
        let theme = try ThemeCatalog(directories: [Self.shipped]).load(name)
        #expect(theme.name == name)
        for role in [Role.tableHeader, .tableSelected, .tableMatch, .status(.redis), .status(.postgres), .statusError, .panelBorder, .footerKey, .loginFocus] {
            #expect(theme.styles[role.name] != nil, "\(name) has no \(role)")
        }
        // The two stores never look alike.
        #expect(theme.style(for: .status(.redis)) != theme.style(for: .status(.postgres)))
        #expect(theme.style(for: .status(.redis), on: .monochrome) != theme.style(for: .status(.postgres), on: .monochrome))
    }

    @Test("the catalog lists dark first; a user theme replaces a shipped one of the same name")
    func catalog() throws {
        let user = FileManager.default.temporaryDirectory.appendingPathComponent("doorman-themes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: user, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: user) }
        try "status.redis = magenta default bold\n".write(to: user.appendingPathComponent("light.theme"), atomically: true, encoding: .utf8)
        try "default = default default\n".write(to: user.appendingPathComponent("aaa.theme"), atomically: true, encoding: .utf8)
        let catalog = ThemeCatalog(directories: [user, Self.shipped])
        #expect(catalog.names == ["dark", "aaa", "high-contrast", "light", "monochrome"])
        #expect(try catalog.load("light").style(for: .status(.redis)) == Style(.indexed(5), .default, .bold))
        #expect(try catalog.load("dark").path == Self.shipped.appendingPathComponent("dark.theme").path)
    }

    @Test("a line is 'role = foreground background attributes'; missing roles fall back to their parents")
    func parsing() throws {
        let theme = try Theme.parse("""
            # a comment
            default = white black
            table = 250 default         # a trailing comment
            table.selected = black bright-cyan bold underline
            status.redis = #ff0000 default reverse
            status.memory = green
            footer = default default none
            """, name: "t", path: "t.theme")
        #expect(theme.style(for: .default) == Style(.indexed(7), .indexed(0)))
        #expect(theme.style(for: .tableSelected) == Style(.indexed(0), .indexed(14), [.bold, .underline]))
        #expect(theme.style(for: .tableSelectedMatch) == theme.style(for: .tableSelected))
        #expect(theme.style(for: .tableHeader) == Style(.indexed(250), .default))
        #expect(theme.style(for: .status(.redis)) == Style(.rgb(255, 0, 0), .default, .reverse))
        #expect(theme.style(for: Role("status.memory")) == Style(.indexed(2), .default))
        #expect(theme.style(for: .panelTitle) == theme.style(for: .default))
    }

    @Test("a broken theme names its file and line", arguments: [
        ("table.header = purpel default", 1, "unknown colour or attribute 'purpel'"),
        ("\n\ntabel.header = red default", 3, "unknown role 'tabel.header'"),
        ("table.header red default", 1, "expected 'role = foreground background [attributes]'"),
        ("table.header = 256 default", 1, "unknown colour or attribute '256'"),
        ("table.header = red\ntable.header = blue", 2, "'table.header' is already set on line 1"),
        ("table.header = bold red", 1, "colour 'red' after an attribute"),
        ("table.header = red green blue", 1, "more than two colours"),
        ("table.header =", 1, "has no colours"),
    ])
    func errors(text: String, line: Int, message: String) {
        #expect {
            try Theme.parse(text, name: "bad", path: "/home/me/.config/doorman/themes/bad.theme")
        } throws: { error in
            guard let error = error as? ThemeError else { return false }
            return error.line == line && error.message.contains(message)
                && error.description.hasPrefix("/home/me/.config/doorman/themes/bad.theme:\(line): ")
        }
    }

    @Test("a missing or broken theme falls back to dark, and says why")
    func fallback() throws {
        let user = FileManager.default.temporaryDirectory.appendingPathComponent("doorman-themes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: user, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: user) }
        try "# broken\ntable.header = red default blinking\n".write(to: user.appendingPathComponent("broken.theme"), atomically: true, encoding: .utf8)
        let catalog = ThemeCatalog(directories: [user, Self.shipped])
        let (theme, error) = catalog.loadWithFallback("broken")
        #expect(theme.name == "dark")
        #expect(error?.path == user.appendingPathComponent("broken.theme").path)
        #expect(error?.line == 2)
        let (missing, missingError) = catalog.loadWithFallback("nope")
        #expect(missing.name == "dark")
        #expect(missingError?.description.contains("no such theme") == true)
        let (builtIn, _) = ThemeCatalog(directories: []).loadWithFallback("dark")
        #expect(builtIn == .builtIn)
    }

    @Test("colours degrade to the nearest of 8", arguments: [
        (ThemeColor.indexed(18), ThemeColor.indexed(4)),    // dark blue → blue
        (.indexed(24), .indexed(6)),                        // deep sky blue → cyan
        (.indexed(203), .indexed(1)),                       // salmon red → red
        (.indexed(231), .indexed(7)),                       // white → white
        (.indexed(236), .indexed(0)),                       // dark grey → black
        (.indexed(242), .indexed(0)),                       // mid grey → black, not yellow
        (.indexed(252), .indexed(7)),                       // light grey → white
        (.indexed(9), .indexed(1)),                         // bright red → red
        (.indexed(3), .indexed(3)),                         // basic stays
        (.rgb(0, 200, 0), .indexed(2)),
        (.default, .default),
    ])
    func eightColours(from: ThemeColor, to: ThemeColor) {
        #expect(from.degraded(toColors: 8) == to)
        #expect(from.degraded(toColors: 256) == (from == .rgb(0, 200, 0) ? .indexed(2) : from))
    }

    @Test("on 8 colours a bright foreground becomes bold, grey text dim, and text never vanishes into its background")
    func eightColourStyles() {
        let bright = Style(.indexed(9), .default).degraded(to: .colors(8), for: .status(.redis))
        #expect(bright == Style(.indexed(1), .default, .bold))
        // 236 on 235: both turn black; the text is made white.
        let subtle = Style(.indexed(236), .indexed(235)).degraded(to: .colors(8), for: .footer)
        #expect(subtle == Style(.indexed(7), .indexed(0)))
        #expect(Style(.indexed(236), .indexed(235)).degraded(to: .colors(256), for: .footer) == Style(.indexed(236), .indexed(235)))
        // Mid-grey text (a border, muted text) keeps the terminal's colour, dimmed.
        #expect(Style(.indexed(242), .default).degraded(to: .colors(8), for: .panelBorder) == Style(.default, .default, .dim))
        #expect(Style(.indexed(242), .default).degraded(to: .colors(16), for: .panelBorder) == Style(.indexed(8), .default))
        #expect(Style(.indexed(8), .default).degraded(to: .colors(16), for: .panelBorder) == Style(.indexed(8), .default))
        #expect(Style(.indexed(8), .default).degraded(to: .colors(8), for: .panelBorder) == Style(.default, .default, .dim))
    }

    @Test("a theme that relies on a background sets it: no role's text is left on the terminal's background", arguments: ["dark", "light", "high-contrast", "monochrome"])
    func ownBackground(_ name: String) throws {
        let theme = try ThemeCatalog(directories: [Self.shipped]).load(name)
        #expect(theme.rolesRelyingOnTerminalBackground == [], "\(name): \(theme.rolesRelyingOnTerminalBackground)")
    }

    @Test("light on a dark terminal: the panel's grey text is drawn on light's own white, never on the terminal's background")
    func lightPanel() throws {
        let light = try ThemeCatalog(directories: [Self.shipped]).load("light")
        for support in [ColorSupport.colors(256), .colors(8)] {
            let panel = light.style(for: .panel, on: support)
            #expect(panel.background != .default, "\(support)")
            #expect((ThemeColor.contrast(panel.foreground, panel.background) ?? 0) >= Style.minimumContrast, "\(support): \(panel)")
        }
        #expect(light.style(for: .panel, on: .colors(256)) == Style(.indexed(236), .indexed(255)))
    }

    @Test("on 8 colours every role of every shipped theme stays readable (no white or yellow on cyan)", arguments: ["dark", "light", "high-contrast"])
    func eightColourContrast(_ name: String) throws {
        let theme = try ThemeCatalog(directories: [Self.shipped]).load(name)
        for role in Role.all {
            let style = theme.style(for: role, on: .colors(8))
            guard let ratio = ThemeColor.contrast(style.foreground, style.background) else { continue }
            #expect(ratio >= Style.minimumContrast, "\(name) \(role): \(style), contrast \(ratio)")
        }
        let selected = theme.style(for: .tableSelected, on: .colors(8))
        let match = theme.style(for: .tableSelectedMatch, on: .colors(8))
        // A match in the selection still stands out from the selection.
        #expect(selected != match)
    }

    @Test("the contrast fix: white on cyan becomes black on cyan; readable pairs and 256 colours are left alone")
    func contrastFix() {
        #expect(Style(.indexed(7), .indexed(6)).readable(onColors: 8) == Style(.indexed(0), .indexed(6)))
        #expect(Style(.indexed(3), .indexed(6), .bold).readable(onColors: 8) == Style(.indexed(0), .indexed(6), .bold))
        #expect(Style(.indexed(7), .indexed(4)).readable(onColors: 8) == Style(.indexed(7), .indexed(4)))
        #expect(Style(.indexed(7), .indexed(6)).readable(onColors: 256) == Style(.indexed(7), .indexed(6)))
        #expect(Style(.indexed(7), .default).readable(onColors: 8) == Style(.indexed(7), .default))
    }

    @Test("without colours, attributes only: the theme's and the role's emphasis")
    func monochrome() throws {
        let dark = try ThemeCatalog(directories: [Self.shipped]).load("dark")
        for role in Role.all {
            let style = dark.style(for: role, on: .monochrome)
            #expect(style.foreground == .default && style.background == .default, "\(role)")
        }
        #expect(dark.style(for: .tableSelected, on: .monochrome).attributes == .reverse)
        #expect(dark.style(for: .loginFocus, on: .monochrome).attributes == .reverse)
        #expect(dark.style(for: .tableHeader, on: .monochrome).attributes == [.bold, .underline])
        #expect(dark.style(for: .status(.redis), on: .monochrome).attributes == .bold)
        #expect(dark.style(for: .status(.postgres), on: .monochrome).attributes == [.bold, .underline])
        #expect(dark.style(for: .tableRow, on: .monochrome).attributes == [])
    }

    @Test("NO_COLOR or a terminal without colours means monochrome")
    func detect() {
        #expect(ColorSupport.detect(colors: 256, hasColors: true, noColor: false) == .colors(256))
        #expect(ColorSupport.detect(colors: 8, hasColors: true, noColor: false) == .colors(8))
        #expect(ColorSupport.detect(colors: 256, hasColors: true, noColor: true) == .monochrome)
        #expect(ColorSupport.detect(colors: 0, hasColors: false, noColor: false) == .monochrome)
    }

    @Test("store roles are made from the store, and a theme may style a store Doorman does not have yet")
    func storeRoles() {
        #expect(Role.status(.redis).name == "status.redis")
        #expect(Role.chart(.postgres).name == "chart.postgres")
        #expect(Role.isKnown("status.memory"))
        #expect(Role.isKnown("chart.memory"))
        #expect(!Role.isKnown("status."))
        #expect(!Role.isKnown("tabel.header"))
        #expect(Role("status.memory").parent == .status)
        #expect(Role.tableSelectedMatch.parent == .tableSelected)
        #expect(Role.default.parent == nil)
    }
}
