import Testing
@testable import DoormanUI

@Suite("Keymap and help")
struct KeymapTests {
    let keymap = Keymap.standard
    let local = AppState.local

    @Test("no key means two things in one context")
    func unique() {
        for context in InputContext.allCases {
            var seen: [Key: Command] = [:]
            for binding in keymap.bindings where binding.contexts.contains(context) {
                for key in binding.keys {
                    if let other = seen[key] {
                        Issue.record("\(key.label) in \(context) is bound to both \(other) and \(binding.command)")
                    }
                    seen[key] = binding.command
                }
            }
        }
    }

    @Test("the issue's keys are bound as asked")
    func required() {
        #expect(keymap.command(for: .tab, in: .login) == .nextField)
        #expect(keymap.command(for: .backTab, in: .login) == .previousField)
        #expect(keymap.command(for: .enter, in: .login) == .submit)
        #expect(keymap.command(for: .escape, in: .login) == .clearForm)
        #expect(keymap.command(for: .character("/"), in: .table) == .startFilter)
        #expect(keymap.command(for: .escape, in: .filter) == .clearFilter)
        for (key, command) in [("f", Command.flushUser), ("F", .flushAll), ("b", .burst), ("l", .logout), ("?", .toggleHelp),
                               ("t", .cycleTheme), ("q", .quit), ("p", .togglePanel), ("j", .moveDown), ("k", .moveUp)] {
            #expect(keymap.command(for: .character(Character(key)), in: .table) == command, "\(key)")
        }
        for context in InputContext.allCases {
            #expect(keymap.command(for: .control("C"), in: context) == .quit, "Ctrl-C in \(context)")
        }
        #expect(keymap.command(for: .pageDown, in: .table) == .pageDown)
        #expect(keymap.command(for: .home, in: .table) == .moveToTop)
        #expect(keymap.command(for: .end, in: .table) == .moveToBottom)
    }

    @Test("the search's keys: n and F3 (next), N (previous), Ctrl-S in the table; Enter, Esc, F3 and the field's editing keys while typing")
    func search() {
        #expect(keymap.command(for: .character("n"), in: .table) == .nextMatch)
        #expect(keymap.command(for: .function(3), in: .table) == .nextMatch)
        #expect(keymap.command(for: .character("N"), in: .table) == .previousMatch)
        #expect(keymap.command(for: .control("S"), in: .table) == .startSearch)
        #expect(keymap.command(for: .enter, in: .search) == .acceptSearch)
        #expect(keymap.command(for: .escape, in: .search) == .cancelSearch)
        #expect(keymap.command(for: .function(3), in: .search) == .nextMatch)
        #expect(InputContext.search.takesText)
        // The same line editing as the filter's.
        for key in [Key.backspace, .delete, .left, .right, .home, .end, .control("A"), .control("E"), .control("U"), .control("W"), .alt("b"), .alt("f"), .alt("d")] {
            #expect(keymap.command(for: key, in: .search) == keymap.command(for: key, in: .filter), "\(key.label)")
            #expect(keymap.command(for: key, in: .search) != nil, "\(key.label)")
        }
        // `n` in a y/N question is still no.
        #expect(keymap.command(for: .character("n"), in: .confirm) == .cancelPrompt)
        #expect(keymap.footerHints(in: .search, mode: local).map(\.keys) == ["Enter", "Esc", "F3", "F1", "Ctrl-C"])
        // Named in the keys file.
        for (name, command) in [("start-search", Command.startSearch), ("next-match", .nextMatch), ("previous-match", .previousMatch),
                                ("accept-search", .acceptSearch), ("cancel-search", .cancelSearch)] {
            #expect(command.fileName == name)
            #expect(Command(name: name) == command)
        }
        let help = keymap.helpSections(mode: local).first { $0.title == "Search (after n or F3)" }
        #expect(help?.lines.map(\.keys).prefix(3) == ["Enter", "Esc", "F3"])
        #expect(keymap.helpSections(mode: local)[1].lines.first { $0.command == .nextMatch }?.keys == "n F3")
    }

    @Test("text goes whole into a field, and key by key elsewhere")
    func resolve() {
        #expect(keymap.resolve(.text("jq"), in: .login).action.map(String.init(describing:)) == "insert(\"jq\")")
        let first = keymap.resolve(.text("jq"), in: .table)
        #expect(first.action.map(String.init(describing:)) == "command(DoormanUI.Command.moveDown)")
        #expect(first.rest == .text("q"))
        let unbound = keymap.resolve(.text("Z"), in: .table)
        #expect(unbound.action == nil)
        #expect(unbound.rest == nil)
        #expect(keymap.resolve(.key(.function(12)), in: .table).action == nil)
    }

    @Test("where keys type, printable keys are never commands, so the help lists none there")
    func textContexts() {
        for binding in keymap.bindings {
            for context in binding.contexts where context.takesText {
                for key in binding.keys {
                    if case .character = key { Issue.record("\(key.label) is bound in \(context), where it types") }
                }
            }
        }
    }

    @Test("the help lists every binding of its context, with the keys' names")
    func helpFromTable() {
        let sections = keymap.helpSections(mode: local)
        #expect(sections.map(\.title) == ["Login form", "Product table", "Filter (after /)", "Search (after n or F3)", "Cache view (c)", "Users view (u)", "Typing an answer (b, users view)", "A y/N question", "Help"])
        let table = sections[1]
        for binding in keymap.bindings where binding.contexts.contains(.table) {
            let line = table.lines.first { $0.summary.hasPrefix(binding.summary) }
            #expect(line != nil, "\(binding.command) is missing from the help")
            for key in binding.keys {
                #expect(line?.keys.split(separator: " ").contains(Substring(key.label)) == true, "\(key.label) for \(binding.command)")
            }
        }
        #expect(table.lines.first { $0.summary == "next row" }?.keys == "↓ j")
        #expect(table.lines.first { $0.summary == "quit" }?.keys == "q Ctrl-C")
        #expect(keymap.helpLineCount(mode: local) == sections.reduce(0) { $0 + $1.lines.count + 2 })
    }

    @Test("in remote mode the help and the footer say flushing is unavailable")
    func remote() {
        let remote = ModeInfo(name: "remote", detail: "http://x", canFlush: false, flushUnavailableReason: "remote mode: the server owns the cache")
        let flush = keymap.helpSections(mode: remote)[1].lines.first { $0.keys == "f" }
        #expect(flush?.summary.hasSuffix("(unavailable: remote mode: the server owns the cache)") == true)
        let hints = keymap.footerHints(in: .table, mode: remote)
        #expect(hints.contains { $0.label == "flush n/a (remote)" })
        #expect(!keymap.footerHints(in: .table, mode: local).contains { $0.label.contains("n/a") })
    }

    @Test("the footer hints come from the same table, one per command")
    func footer() {
        let hints = keymap.footerHints(in: .table, mode: local)
        #expect(hints.map(\.keys) == ["↑↓", "s", "/", "n", "Esc", "f", "c", "d", "b", "l", "u", "o", "p", "t", "?", "q"])
        #expect(keymap.footerHints(in: .login, mode: local).map(\.keys) == ["Tab", "Enter", "Esc", "F1", "Ctrl-C"])
    }
}
