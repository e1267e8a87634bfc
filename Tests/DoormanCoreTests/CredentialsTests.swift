import DoormanCore
import Testing

@Suite("Input rules for usernames and passwords")
struct CredentialsTests {
    @Test("ordinary credentials pass, including non-ASCII and 72-byte passwords")
    func accepted() throws {
        _ = try Credentials(username: "john_doe", password: "EXAMPLE_PASSWORD")
        _ = try Credentials(username: "zoë", password: "pässwörd ☕ with: colons")
        _ = try Credentials(username: String(repeating: "é", count: 50), password: String(repeating: "p", count: 72))
        _ = try Credentials(username: "a", password: String(repeating: "€", count: 24))  // 72 bytes
    }

    @Test("refused: empty, too long, control characters", arguments: [
        ("", "x", "username is empty"),
        ("x", "", "password is empty"),
        (String(repeating: "u", count: 51), "x", "longer than 50"),
        ("x", String(repeating: "p", count: 73), "longer than 72 bytes"),
        ("x", String(repeating: "€", count: 25), "longer than 72 bytes"),
        ("jo\u{0}hn", "x", "control characters"),
        ("john", "pass\u{0}word", "control characters"),
        ("john\n", "x", "control characters"),
        ("john", "pass\u{1b}[31m", "control characters"),
        ("john", "pass\u{85}", "control characters"),
    ])
    func refused(username: String, password: String, reason: String) {
        do {
            _ = try Credentials(username: username, password: password)
            Issue.record("accepted")
        } catch let error as DoormanError {
            #expect(error.kind == .invalidInput)
            #expect(error.message.contains(reason))
            #expect(password.isEmpty || !error.message.contains(password))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
