import DoormanCore
import Testing
@testable import DoormanUI

/// The person's keys file: parsed whole or refused with the line that is
/// wrong, and applied so that the keys, the help and the footer agree.
@Suite("Keys file")
struct KeysFileTests {
    static let local = ModeInfo(name: "local", detail: "embedded", canFlush: true, flushUnavailableReason: nil, latencyName: "lookup")

    @Test("commands by file name or raw value; keys by the help's names or as one character; comments and blank lines")
    func parses() throws {
        let overrides = try KeysFile.parse("""
            # my keys
            flush-user = F
            burst = B, Ctrl-b   # two keys

            startFilter = Alt-f, F5
            move-up = Up, ↑, PgUp
            previous-match = Shift-F3
            """)
        #expect(overrides.map(\.command) == [.flushUser, .burst, .startFilter, .moveUp, .previousMatch])
        #expect(overrides[4].keys == [.shiftFunction(3)])
        #expect(overrides[0].keys == [.character("F")])
        #expect(overrides[1].keys == [.character("B"), .control("B")])
        #expect(overrides[2].keys == [.alt("f"), .function(5)])
        #expect(overrides[3].keys == [.up, .pageUp])  // a key named twice counts once
        #expect(try KeysFile.parse("").isEmpty)
    }

    @Test("a line the file cannot use is refused with its number and why", arguments: [
        ("flush-user F", 1, "expected `command = key, key`"),
        ("\n\nflush-everything = F", 3, "no command named \"flush-everything\" (the README lists them)"),
        ("burst = Hyper-x", 1, "no key named \"Hyper-x\""),
        ("burst = B,", 1, "a key is missing"),
        ("burst = B\nburst = C", 2, "burst is given keys twice"),
        ("flush-user = Ctrl-C", 1, "Ctrl-C always quits; give flush-user another key"),
        ("burst = Ctrl-M", 1, "no key named \"Ctrl-M\""),
    ])
    func refuses(text: String, line: Int, reason: String) {
        #expect(throws: KeysFile.Failure(line: line, reason: reason)) { try KeysFile.parse(text) }
    }

    @Test("a command's new keys work where its old ones did, its old ones no longer; the help and the footer show them")
    func overrides() throws {
        let keymap = Keymap.standard.overriding(try KeysFile.parse("flush-user = F"))
        #expect(keymap.command(for: .character("F"), in: .table) == .flushUser)
        #expect(keymap.command(for: .character("f"), in: .table) == nil)
        #expect(keymap.footerHints(in: .table, mode: Self.local).contains { $0.command == .flushUser && $0.keys == "F" })
        let table = try #require(keymap.helpSections(mode: Self.local).first { $0.title == InputContext.table.title })
        #expect(table.lines.contains { $0.keys == "F" && $0.summary.contains("flush") })
        // Everything else is as it was.
        #expect(keymap.command(for: .character("b"), in: .table) == .burst)
        #expect(Keymap.standard.overriding([]) == Keymap.standard)
    }

    @Test("a key taken from another command is the new command's; Ctrl-C always quits")
    func takesOver() throws {
        let keymap = Keymap.standard.overriding(try KeysFile.parse("start-filter = s\nquit = Q"))
        #expect(Keymap.standard.command(for: .character("s"), in: .table) != .startFilter)
        #expect(keymap.command(for: .character("s"), in: .table) == .startFilter)
        #expect(keymap.command(for: .character("Q"), in: .table) == .quit)
        #expect(keymap.command(for: .character("q"), in: .table) == nil)
        for context in InputContext.allCases {
            #expect(keymap.command(for: .control("C"), in: context) == .quit)
        }
    }

    @Test("every command has a name for the file, and names are unique")
    func names() {
        let names = Command.allCases.map(\.fileName)
        #expect(Set(names).count == names.count)
        for command in Command.allCases { #expect(Command(name: command.fileName) == command) }
        #expect(Command.flushUser.fileName == "flush-user")
    }
}
