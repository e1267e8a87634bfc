import Foundation
import Testing
@testable import DoormanUI

/// The README's table of keys is the keymap's, so the two cannot drift apart.
/// After a change to the keymap: `UPDATE_README=1 swift test --filter ReadmeTests`.
@Suite("README")
struct ReadmeTests {
    static let readme = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("README.md")

    /// The keys as a Markdown table, from the same sections as the help screen.
    static func keysTable() -> String {
        var lines = ["| Where | Keys | What they do | In the keys file |", "|---|---|---|---|"]
        for section in Keymap.standard.helpSections(mode: AppState.local) {
            for line in section.lines {
                let keys = line.keys.split(separator: " ").map { "`\($0)`" }.joined(separator: " ")
                lines.append("| \(section.title) | \(keys) | \(line.summary) | `\(line.command.fileName)` |")
            }
        }
        return lines.joined(separator: "\n")
    }

    @Test("the keys table in README.md is generated from the keymap")
    func keys() throws {
        let text = try String(contentsOf: Self.readme, encoding: .utf8)
        let begin = try #require(text.range(of: "<!-- keys:begin (generated from Keymap.standard by ReadmeTests) -->\n"))
        let end = try #require(text.range(of: "\n<!-- keys:end -->"))
        let table = String(text[begin.upperBound..<end.lowerBound])
        if ProcessInfo.processInfo.environment["UPDATE_README"] == "1" {
            try text.replacingCharacters(in: begin.upperBound..<end.lowerBound, with: Self.keysTable())
                .write(to: Self.readme, atomically: true, encoding: .utf8)
            return
        }
        if table != Self.keysTable() {
            Issue.record("README.md's keys differ from the keymap; replace them with:\n\(Self.keysTable())")
        }
    }
}
