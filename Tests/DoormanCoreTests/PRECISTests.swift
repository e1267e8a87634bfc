import DoormanCore
import Testing

/// RFC 8265's profiles: what is mapped, and what a new name may not hold.
@Suite("PRECIS")
struct PRECISTests {
    @Test("an NFD spelling is prepared to its NFC twin; fullwidth letters to ASCII")
    func preparation() throws {
        #expect(PRECIS.prepareUsername("Jose\u{301}") == "Jos\u{E9}")
        #expect(PRECIS.prepareUsername("Jose\u{301}").unicodeScalars.count == 4)
        #expect(PRECIS.prepareUsername("\u{FF4A}\u{FF4F}\u{FF48}\u{FF4E}") == "john")
        #expect(PRECIS.prepareUsername("john_doe") == "john_doe")
        #expect(try Credentials(username: "Jose\u{301}", password: "x").username == "Jos\u{E9}")
    }

    @Test("passwords: non-ASCII spaces become U+0020, then NFC")
    func opaqueString() {
        #expect(PRECIS.preparePassword("a\u{A0}b\u{3000}c") == "a b c")
        #expect(PRECIS.preparePassword("cafe\u{301}") == "caf\u{E9}")
        #expect(PRECIS.preparePassword("EXAMPLE_PASSWORD") == "EXAMPLE_PASSWORD")
    }

    @Test("valid new names", arguments: ["john_doe", "Jos\u{E9}", "\u{3A9}mega", "\u{5F20}\u{4F1F}", "a.b-c@d", "Jose\u{301}"])
    func valid(_ name: String) throws {
        #expect(try PRECIS.enforceNewUsername(name) == PRECIS.prepareUsername(name))
    }

    @Test("names a new account may not have, each with the rule it breaks", arguments: [
        (" john", "space"), ("jo hn", "space"), ("john\u{200B}", "invisible"), ("jo\u{AD}hn", "invisible"),
        ("col:on", "':'"), ("\u{FB01}ne", "compatibility"), ("\u{2460}", "compatibility"), ("john\u{FFFD}", "UTF-8"),
        ("jo\u{7}hn", "control"), ("\u{2603}man", "symbol"), ("\u{BF}qu\u{E9}", "punctuation"), ("x\u{378}", "assigned"), ("", "empty"),
    ])
    func invalid(_ name: String, _ rule: String) {
        do {
            _ = try PRECIS.enforceNewUsername(name)
            Issue.record("accepted \(name.unicodeScalars.map { $0.value })")
        } catch let error as DoormanError {
            #expect(error.kind == .invalidInput)
            #expect(error.message.contains(rule), "\(error.message)")
            if !name.isEmpty && name != " john" { #expect(!error.message.contains(name), "the message never repeats the name") }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
