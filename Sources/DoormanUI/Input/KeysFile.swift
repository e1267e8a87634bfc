import Foundation

/// The person's own keys: a file of `command = key, key` lines next to their
/// themes (`$XDG_CONFIG_HOME/doorman/keys`), each replacing every key of one
/// command. The help screen, the footer and the README's table are generated
/// from the keymap, so they show what the file says.
///
///     # ~/.config/doorman/keys
///     flush-user = F
///     burst = B, Ctrl-B
///
/// Commands are named as in the README (`flush-user`, or `flushUser`); keys as
/// the help screen shows them (`Ctrl-X`, `M-x` or `Alt-x`, `F1`…`F12`, `Up` or
/// `↑`, `PgDn`, `Home`, `Enter`, `Tab`, `Shift-Tab`, `Esc`, `Backspace`, `Del`,
/// `Space`) or as one printable character. Ctrl-C quits whatever the file says.
enum KeysFile {
    /// A line the file cannot use, by number, with what is wrong.
    struct Failure: Error, Equatable, CustomStringConvertible {
        var line: Int
        var reason: String
        var description: String { "line \(line): \(reason)" }
    }

    /// The keys each named command gets; every line is checked before any is used.
    static func parse(_ text: String) throws(Failure) -> [(command: Command, keys: [Key])] {
        var overrides: [(command: Command, keys: [Key])] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw Failure(line: number, reason: "expected `command = key, key`")
            }
            let name = String(trimmed[..<equals]).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let command = Command(name: name) else {
                throw Failure(line: number, reason: "no command named \"\(String(name.prefix(40)))\" (the README lists them)")
            }
            guard !overrides.contains(where: { $0.command == command }) else {
                throw Failure(line: number, reason: "\(command.fileName) is given keys twice")
            }
            let keyNames = trimmed[trimmed.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
            var keys: [Key] = []
            for keyName in keyNames {
                guard let key = Key(name: keyName) else {
                    throw Failure(line: number, reason: keyName.isEmpty ? "a key is missing" : "no key named \"\(String(keyName.prefix(20)))\"")
                }
                if key == .control("C") && command != .quit {
                    throw Failure(line: number, reason: "Ctrl-C always quits; give \(command.fileName) another key")
                }
                if !keys.contains(key) { keys.append(key) }
            }
            overrides.append((command, keys))
        }
        return overrides
    }
}

extension Command {
    /// The command's name in the keys file: `flush-user` for `flushUser`.
    var fileName: String {
        var name = ""
        var previousUppercase = false
        for character in rawValue {
            // `sortByID` is `sort-by-id`: a run of capitals is one word.
            if character.isUppercase && !previousUppercase { name += "-" }
            name += character.lowercased()
            previousUppercase = character.isUppercase
        }
        return name
    }

    /// A command by its keys-file name (`flush-user`) or its raw value (`flushUser`).
    init?(name: String) {
        guard let command = Command.allCases.first(where: { $0.fileName == name || $0.rawValue == name }) else { return nil }
        self = command
    }
}

extension Key {
    /// A key by the name the help screen gives it (case-insensitive for named
    /// keys), or a single printable character.
    init?(name: String) {
        let lowered = name.lowercased()
        let named: [String: Key] = [
            "space": .character(" "), "up": .up, "↑": .up, "down": .down, "↓": .down, "left": .left, "←": .left,
            "right": .right, "→": .right, "pgup": .pageUp, "pageup": .pageUp, "pgdn": .pageDown, "pagedown": .pageDown,
            "home": .home, "end": .end, "enter": .enter, "return": .enter, "tab": .tab, "shift-tab": .backTab,
            "esc": .escape, "escape": .escape, "backspace": .backspace, "del": .delete, "delete": .delete,
        ]
        if let key = named[lowered] {
            self = key
            return
        }
        if name.count == 1, let character = name.first, let scalar = character.unicodeScalars.first,
           character.unicodeScalars.count == 1, scalar.value >= 0x21, scalar.value != 0x7F {
            self = .character(character)
            return
        }
        if lowered.hasPrefix("f"), let number = Int(lowered.dropFirst()), (1...12).contains(number) {
            self = .function(number)
            return
        }
        if lowered.hasPrefix("shift-f"), let number = Int(lowered.dropFirst(7)), (1...12).contains(number) {
            self = .shiftFunction(number)
            return
        }
        for prefix in ["ctrl-", "c-"] where lowered.hasPrefix(prefix) && name.count == prefix.count + 1 {
            // Ctrl and a letter (Ctrl-I, Ctrl-M and Ctrl-[ are Tab, Enter and Esc on a terminal).
            guard let letter = name.last?.uppercased().first, letter.isASCII, letter.isLetter, !"IMH".contains(letter) else { return nil }
            self = .control(letter)
            return
        }
        for prefix in ["alt-", "m-"] where lowered.hasPrefix(prefix) && name.count == prefix.count + 1 {
            guard let character = name.last, character.isASCII, !character.isWhitespace else { return nil }
            self = .alt(character)
            return
        }
        return nil
    }
}

extension Keymap {
    /// This keymap with each listed command's keys replaced: the new keys work
    /// wherever the command's old ones did, and take over from any other
    /// command bound to them there. Ctrl-C always quits.
    func overriding(_ overrides: [(command: Command, keys: [Key])]) -> Keymap {
        var bindings = self.bindings
        for (command, keys) in overrides {
            guard let first = bindings.firstIndex(where: { $0.command == command }) else { continue }
            var contexts: [InputContext] = []
            for binding in bindings where binding.command == command {
                for context in binding.contexts where !contexts.contains(context) { contexts.append(context) }
            }
            var keys = keys
            if command == .quit && !keys.contains(.control("C")) { keys.append(.control("C")) }
            var replacement = bindings[first]
            replacement.keys = keys
            replacement.contexts = contexts
            if let hint = replacement.hint, let key = keys.first { replacement.hint = (key.label, hint.label) }
            // The person's keys win over the standard ones in the same contexts
            // (except Ctrl-C, which quit keeps).
            for index in bindings.indices where bindings[index].command != command && bindings[index].contexts.contains(where: contexts.contains) {
                let keepsCtrlC = bindings[index].command == .quit
                bindings[index].keys.removeAll { key in keys.contains(key) && !(key == .control("C") && keepsCtrlC) }
            }
            bindings[first] = replacement
            bindings = bindings.enumerated().filter { $0.offset == first || $0.element.command != command }.map(\.element)
        }
        return Keymap(bindings.filter { !$0.keys.isEmpty })
    }
}

extension Keymap: Equatable {
    /// The same bindings in the same order (what the help and the footer show, and what the keys do).
    static func == (left: Keymap, right: Keymap) -> Bool {
        left.bindings.count == right.bindings.count && zip(left.bindings, right.bindings).allSatisfy { a, b in
            a.keys == b.keys && a.command == b.command && a.contexts == b.contexts && a.summary == b.summary
                && a.hint?.keys == b.hint?.keys && a.hint?.label == b.hint?.label
        }
    }
}
