import Testing
@testable import DoormanUI

@Suite("Display width")
struct DisplayWidthTests {
    @Test("ASCII, accents, CJK, fullwidth, emoji and combining marks", arguments: [
        ("WINE GLASS", 10),
        ("CRÈME BRÛLÉE RAMEKIN", 20),
        ("緑茶 GREEN TEA 500ML", 20),
        ("抹茶ラテ MATCHA LATTE", 21),
        ("김치 KIMCHI 1KG", 15),
        ("ＦＵＬＬＷＩＤＴＨ NOTEBOOK", 27),
        ("🍕 PIZZA STONE", 14),
        ("E\u{301}PICERIE SAMPLER", 16),
        ("ĐÀ LẠT COFFEE BEANS", 19),
        ("", 0),
    ])
    func widths(_ text: String, _ expected: Int) {
        #expect(DisplayWidth.of(text) == expected)
    }

    @Test("a character count is not a width")
    func notCharacters() {
        #expect("緑茶".count == 2)
        #expect(DisplayWidth.of("緑茶") == 4)
        #expect("E\u{301}".count == 1)
        #expect("E\u{301}".unicodeScalars.count == 2)
        #expect(DisplayWidth.of("E\u{301}") == 1)
    }

    @Test("scalars: zero, one, two columns, or unprintable")
    func scalars() {
        #expect(DisplayWidth.of(Unicode.Scalar(0x301)!) == 0)    // combining acute
        #expect(DisplayWidth.of(Unicode.Scalar(0x200D)!) == 0)   // zero-width joiner
        #expect(DisplayWidth.of(Unicode.Scalar(0xFE0F)!) == 0)   // emoji presentation selector
        #expect(DisplayWidth.of(Unicode.Scalar(0x41)!) == 1)
        #expect(DisplayWidth.of(Unicode.Scalar(0xE9)!) == 1)
        #expect(DisplayWidth.of(Unicode.Scalar(0x7DD1)!) == 2)   // 緑
        #expect(DisplayWidth.of(Unicode.Scalar(0x1F355)!) == 2)  // 🍕
        #expect(DisplayWidth.of(Unicode.Scalar(0x1B)!) == nil)   // ESC
        #expect(DisplayWidth.of(Unicode.Scalar(0x85)!) == nil)   // C1 NEL
    }

    @Test("cells keep combining marks and joiners with the character before them")
    func cells() {
        let accent = DisplayWidth.cells("E\u{301}X")
        #expect(accent.map(\.width) == [1, 1])
        #expect(accent[0].scalars == ["E", "\u{301}"])
    }

    @Test("joiners and emoji selectors, which terminals disagree about, are left out")
    func joiners() {
        // The chef (woman, joiner, cooking) shows as woman and cooking: two wide cells everywhere.
        let chef = DisplayWidth.cells("👩\u{200D}🍳")
        #expect(chef.map(\.width) == [2, 2])
        #expect(chef.map(\.text) == ["👩", "🍳"])
        #expect(DisplayWidth.of("👩\u{200D}🍳 CHEF APRON") == 15)
        // The chilli without its emoji selector: one column, as wcwidth says.
        let pepper = DisplayWidth.cells("🌶\u{FE0F} CHILLI")
        #expect(pepper.map(\.text).first == "🌶")
        #expect(DisplayWidth.of("🌶\u{FE0F} CHILLI") == 8)
    }

    @Test("unprintable scalars become one replacement cell; a lone mark sits on a space")
    func unprintable() {
        let cells = DisplayWidth.cells("A\u{1B}B")
        #expect(cells.map(\.text) == ["A", "\u{FFFD}", "B"])
        #expect(DisplayWidth.of("A\u{1B}B") == 3)
        let lone = DisplayWidth.cells("\u{301}A")
        #expect(lone.map(\.text) == [" \u{301}", "A"])
        #expect(DisplayWidth.of("\u{301}A") == 2)
    }

    @Test("truncation cuts at cell boundaries and never splits a wide character")
    func truncation() {
        #expect(DisplayWidth.truncate("WINE GLASS", to: 20) == "WINE GLASS")
        #expect(DisplayWidth.truncate("WINE GLASS", to: 6) == "WINE …")
        #expect(DisplayWidth.truncate("緑茶 GREEN TEA", to: 4) == "緑…")
        #expect(DisplayWidth.of(DisplayWidth.truncate("緑茶緑茶", to: 4)) == 3)
        #expect(DisplayWidth.pad("緑茶", to: 6) == "緑茶  ")
        #expect(DisplayWidth.pad("2.55", to: 6, alignRight: true) == "  2.55")
        #expect(DisplayWidth.truncate("abc", to: 0) == "")
    }
}
