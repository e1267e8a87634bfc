/// One line of the keymap: keys, the command they give in some contexts, and
/// the words the help screen (and perhaps the footer) shows for it.
struct KeyBinding: Sendable {
    /// The keys, in the order the help lists them.
    var keys: [Key]
    /// What they ask for.
    var command: Command
    /// Where they do it.
    var contexts: [InputContext]
    /// The help screen's description.
    var summary: String
    /// The footer's short form (`"/"`, `"filter"`), for the bindings the footer shows.
    var hint: (keys: String, label: String)?

    /// Creates a binding.
    init(_ keys: [Key], _ command: Command, in contexts: [InputContext], _ summary: String, hint: (String, String)? = nil) {
        self.keys = keys
        self.command = command
        self.contexts = contexts
        self.summary = summary
        self.hint = hint.map { (keys: $0.0, label: $0.1) }
    }
}

/// The one table that turns keys into commands. The UI loop reads keys
/// through it, and the help screen and the footer are generated from it, so
/// what the help says is what the keys do.
struct Keymap: Sendable {
    /// Every binding, in help order.
    let bindings: [KeyBinding]
    private let lookup: [InputContext: [Key: Command]]

    /// A keymap over `bindings`. A key bound twice in one context keeps its first binding.
    init(_ bindings: [KeyBinding]) {
        self.bindings = bindings
        var lookup: [InputContext: [Key: Command]] = [:]
        for binding in bindings {
            for context in binding.contexts {
                for key in binding.keys where lookup[context]?[key] == nil {
                    lookup[context, default: [:]][key] = binding.command
                }
            }
        }
        self.lookup = lookup
    }

    /// The command `key` gives in `context`, if any.
    func command(for key: Key, in context: InputContext) -> Command? {
        lookup[context]?[key]
    }

    /// Turns one input event into at most one action in `context`, and returns
    /// what is left of the event to resolve again once that action is handled
    /// (the context may change in between: `/` then `abc` typed fast must go
    /// to the filter).
    ///
    /// Text goes whole into a field where the context takes text; elsewhere
    /// each character is a key.
    func resolve(_ event: InputEvent, in context: InputContext) -> (action: Action?, rest: InputEvent?) {
        switch event {
        case .resize(let size):
            return (.resize(size), nil)
        case .mouse(let mouse):
            return (.mouse(mouse), nil)
        case .key(let key):
            return (command(for: key, in: context).map(Action.command), nil)
        case .text(let text):
            if context.takesText { return (.insert(text), nil) }
            guard let first = text.first else { return (nil, nil) }
            let rest = String(text.dropFirst())
            return (command(for: .character(first), in: context).map(Action.command), rest.isEmpty ? nil : .text(rest))
        }
    }

    /// A section of the help screen: one context's keys.
    struct HelpSection: Equatable, Sendable {
        /// The context's title.
        var title: String
        /// Key labels and what they do.
        var lines: [(keys: String, summary: String, command: Command)]

        /// Same title, same lines.
        static func == (left: HelpSection, right: HelpSection) -> Bool {
            left.title == right.title && left.lines.map(\.keys) == right.lines.map(\.keys) && left.lines.map(\.summary) == right.lines.map(\.summary)
        }
    }

    /// The help screen, generated from the bindings: for each context, each
    /// command once with all its keys. Commands the mode cannot do say why.
    func helpSections(mode: ModeInfo) -> [HelpSection] {
        let contexts: [InputContext] = [.login, .table, .filter, .search, .cache, .users, .prompt, .confirm, .help]
        return contexts.map { context in
            var lines: [(keys: String, summary: String, command: Command)] = []
            var seen: Set<Command> = []
            for binding in bindings where binding.contexts.contains(context) && !seen.contains(binding.command) {
                seen.insert(binding.command)
                let keys = bindings
                    .filter { $0.command == binding.command && $0.contexts.contains(context) }
                    .flatMap(\.keys)
                var summary = binding.summary
                if binding.command.needsFlush && !mode.canFlush {
                    summary += " (unavailable: \(mode.flushUnavailableReason ?? "not in this mode"))"
                }
                if binding.command.changesUsers, let reason = mode.userChangesUnavailableReason {
                    summary += " (unavailable: \(reason))"
                }
                lines.append((keys.map(\.label).joined(separator: " "), summary, binding.command))
            }
            return HelpSection(title: context.title, lines: lines)
        }
    }

    /// How many lines the help screen has (a title, the keys and a blank line per section).
    func helpLineCount(mode: ModeInfo) -> Int {
        helpSections(mode: mode).reduce(0) { $0 + $1.lines.count + 2 }
    }

    /// The help screen's line where `context`'s section starts (0 when it has none).
    func helpLine(of context: InputContext, mode: ModeInfo) -> Int {
        let sections = helpSections(mode: mode)
        guard let index = sections.firstIndex(where: { $0.title == context.title }) else { return 0 }
        return sections[..<index].reduce(0) { $0 + $1.lines.count + 2 }
    }

    /// A key hint in the footer.
    struct Hint: Equatable, Sendable {
        /// The command it is for.
        var command: Command
        /// The keys, as shown: `/`, `↑↓`.
        var keys: String
        /// What they do, briefly.
        var label: String
    }

    /// The footer's key hints for `context`, in table order, one per command.
    /// Commands the mode cannot do say so instead.
    func footerHints(in context: InputContext, mode: ModeInfo) -> [Hint] {
        var seen: Set<Command> = []
        return bindings.compactMap { binding in
            guard binding.contexts.contains(context), let hint = binding.hint, !seen.contains(binding.command) else { return nil }
            seen.insert(binding.command)
            if binding.command.changesUsers && mode.userChangesUnavailableReason != nil {
                guard binding.command == .addUser else { return nil }
                return Hint(command: binding.command, keys: "a p D", label: "n/a (\(mode.name))")
            }
            if binding.command.needsFlush && !mode.canFlush {
                guard binding.command == .flushUser else { return nil }
                return Hint(command: binding.command, keys: hint.keys, label: "flush n/a (\(mode.name))")
            }
            return Hint(command: binding.command, keys: hint.keys, label: hint.label)
        }
    }
}

extension Keymap {
    /// Doorman's keys.
    static let standard = Keymap([
        // The login form.
        KeyBinding([.tab, .down], .nextField, in: [.login], "next field", hint: ("Tab", "next field")),
        KeyBinding([.backTab, .up], .previousField, in: [.login], "previous field"),
        KeyBinding([.enter], .submit, in: [.login], "log in", hint: ("Enter", "log in")),
        KeyBinding([.escape], .clearForm, in: [.login], "clear the form, back to the username; while logging in: cancel", hint: ("Esc", "clear")),

        // The table.
        KeyBinding([.up], .moveUp, in: [.table, .filter], "previous row"),
        KeyBinding([.character("k")], .moveUp, in: [.table], "previous row"),
        KeyBinding([.down], .moveDown, in: [.table, .filter], "next row", hint: ("↑↓", "move")),
        KeyBinding([.character("j")], .moveDown, in: [.table], "next row"),
        KeyBinding([.pageUp, .control("B")], .pageUp, in: [.table, .filter], "page up"),
        KeyBinding([.pageDown, .control("F")], .pageDown, in: [.table, .filter], "page down"),
        KeyBinding([.character(" ")], .pageDown, in: [.table], "page down"),
        KeyBinding([.home, .character("g")], .moveToTop, in: [.table], "first row"),
        KeyBinding([.end, .character("G")], .moveToBottom, in: [.table], "last row"),
        KeyBinding([.character("1")], .sortByID, in: [.table], "sort by ID (again: reverse)"),
        KeyBinding([.character("2")], .sortByName, in: [.table], "sort by name (again: reverse)"),
        KeyBinding([.character("3")], .sortByPrice, in: [.table], "sort by price (again: reverse)"),
        KeyBinding([.character("s")], .sortByNextColumn, in: [.table], "sort by the next column", hint: ("s", "sort")),
        KeyBinding([.character("r")], .reverseSort, in: [.table], "reverse the sort"),
        KeyBinding([.enter], .toggleDetail, in: [.table], "the selected product's detail (Esc or Enter closes it)"),
        KeyBinding([.character("/")], .startFilter, in: [.table], "filter rows as you type (name, id, price)", hint: ("/", "filter")),
        KeyBinding([.character("n"), .function(3)], .nextMatch, in: [.table], "search as you type (rows stay); with a search kept: the next match", hint: ("n", "search")),
        KeyBinding([.character("N"), .shiftFunction(3)], .previousMatch, in: [.table], "the previous match (with no search kept: search)"),
        KeyBinding([.control("S")], .startSearch, in: [.table], "a new search, or change the kept one"),
        KeyBinding([.escape], .clearFilter, in: [.table, .filter], "close the detail, stop a burst; else clear the search, then the filter", hint: ("Esc", "clear")),
        KeyBinding([.enter], .acceptFilter, in: [.filter], "keep the filter, back to the table", hint: ("Enter", "keep")),
        KeyBinding([.enter], .acceptSearch, in: [.search], "keep the search, back to the table (n, N: the next, previous match)", hint: ("Enter", "keep")),
        KeyBinding([.escape], .cancelSearch, in: [.search], "cancel the search: the selection goes back where it was", hint: ("Esc", "cancel")),
        KeyBinding([.function(3)], .nextMatch, in: [.search], "the next match, still typing", hint: ("F3", "next")),
        KeyBinding([.shiftFunction(3)], .previousMatch, in: [.search], "the previous match, still typing"),
        KeyBinding([.character("f")], .flushUser, in: [.table], "flush your cached hash: the next login reads PostgreSQL", hint: ("f", "flush")),
        KeyBinding([.character("F")], .flushAll, in: [.table], "flush every cached hash"),
        KeyBinding([.character("c")], .openCache, in: [.table], "the cache view: Redis' entries (TTL, valid or refused) and the throttle's counters", hint: ("c", "cache")),
        KeyBinding([.character("d")], .demo, in: [.table], "demo: flush your hash, log in twice, compare the two logins side by side", hint: ("d", "demo")),
        KeyBinding([.character("b")], .burst, in: [.table], "burst: asks how many logins as you and how many at once (Enter keeps the last: 20, 1), latency by store (stops at a failure; Esc stops it)", hint: ("b", "burst")),
        KeyBinding([.character("l")], .logout, in: [.table], "log out", hint: ("l", "logout")),
        KeyBinding([.character("u")], .openUsers, in: [.table], "the users view: cache state, failures, locks; add, change, delete, unlock", hint: ("u", "users")),
        KeyBinding([.character("o")], .toggleCache, in: [.table], "take Redis out of this UI's path, or put it back: logins read PostgreSQL", hint: ("o", "bypass")),
        KeyBinding([.character("O")], .toggleEmbeddedRedis, in: [.table, .cache], "stop the embedded Redis for real, or start it again (watch the fallback and the recovery)"),
        KeyBinding([.control("O")], .toggleCache, in: [.login], "take Redis out of this UI's path, or put it back"),
        KeyBinding([.character("p")], .togglePanel, in: [.table], "show or hide the cache panel", hint: ("p", "panel")),
        KeyBinding([.control("P")], .togglePanel, in: [.login], "show or hide the cache panel"),
        KeyBinding([.character("v")], .switchPanelPage, in: [.table], "switch the panel: these logins, or the fleet (every instance)"),
        KeyBinding([.character("t")], .cycleTheme, in: [.table, .help], "next theme", hint: ("t", "theme")),
        KeyBinding([.control("T")], .cycleTheme, in: [.login, .filter, .search], "next theme"),

        // The cache view.
        KeyBinding([.up, .character("k")], .moveUp, in: [.cache], "previous row"),
        KeyBinding([.down, .character("j")], .moveDown, in: [.cache], "next row", hint: ("↑↓", "move")),
        KeyBinding([.pageUp], .pageUp, in: [.cache], "page up"),
        KeyBinding([.pageDown, .character(" ")], .pageDown, in: [.cache], "page down"),
        KeyBinding([.home, .character("g")], .moveToTop, in: [.cache], "first row"),
        KeyBinding([.end, .character("G")], .moveToBottom, in: [.cache], "last row"),
        KeyBinding([.character("x"), .delete], .flushEntry, in: [.cache], "flush the selected entry (on a counter: unlock its account)", hint: ("x", "flush")),
        KeyBinding([.character("U")], .unlockAccount, in: [.cache], "unlock the selected account (clear its throttle counters)", hint: ("U", "unlock")),
        KeyBinding([.escape, .character("c")], .closeCache, in: [.cache], "back to the products", hint: ("Esc", "back")),
        KeyBinding([.character("l")], .logout, in: [.cache], "log out"),
        KeyBinding([.character("o")], .toggleCache, in: [.cache], "take Redis out of this UI's path, or put it back"),
        KeyBinding([.character("p")], .togglePanel, in: [.cache], "show or hide the cache panel"),

        // The users view.
        KeyBinding([.up, .character("k")], .moveUp, in: [.users], "previous user"),
        KeyBinding([.down, .character("j")], .moveDown, in: [.users], "next user", hint: ("↑↓", "move")),
        KeyBinding([.pageUp], .pageUp, in: [.users], "page up"),
        KeyBinding([.pageDown, .character(" ")], .pageDown, in: [.users], "page down"),
        KeyBinding([.home, .character("g")], .moveToTop, in: [.users], "first user"),
        KeyBinding([.end, .character("G")], .moveToBottom, in: [.users], "last user"),
        KeyBinding([.character("a")], .addUser, in: [.users], "add a user (a name, then a masked password, twice)", hint: ("a", "add")),
        KeyBinding([.character("p")], .changePassword, in: [.users], "change the selected user's password (masked, asked twice)", hint: ("p", "passwd")),
        KeyBinding([.character("D")], .deleteUser, in: [.users], "delete the selected user (asks y/N)", hint: ("D", "delete")),
        KeyBinding([.character("U")], .unlockAccount, in: [.users], "unlock the selected user (clear the throttle's counters)", hint: ("U", "unlock")),
        KeyBinding([.escape, .character("u")], .closeUsers, in: [.users], "back to the products", hint: ("Esc", "back")),
        KeyBinding([.character("t")], .cycleTheme, in: [.cache, .users], "next theme", hint: ("t", "theme")),
        KeyBinding([.character("l")], .logout, in: [.users], "log out"),
        KeyBinding([.enter], .acceptPrompt, in: [.prompt], "take the answer", hint: ("Enter", "ok")),
        KeyBinding([.escape], .cancelPrompt, in: [.prompt], "give up", hint: ("Esc", "cancel")),
        KeyBinding([.character("y"), .character("Y")], .confirmYes, in: [.confirm], "yes", hint: ("y", "yes")),
        KeyBinding([.character("n"), .character("N"), .escape, .enter], .cancelPrompt, in: [.confirm], "no (any other answer is no too)", hint: ("n", "no")),

        // Editing a field.
        KeyBinding([.backspace], .deleteBackward, in: [.login, .filter, .search, .prompt], "delete the character before the cursor"),
        KeyBinding([.delete], .deleteForward, in: [.login, .filter, .search, .prompt], "delete the character under the cursor"),
        KeyBinding([.left], .cursorLeft, in: [.login, .filter, .search, .prompt], "cursor left"),
        KeyBinding([.right], .cursorRight, in: [.login, .filter, .search, .prompt], "cursor right"),
        KeyBinding([.home, .control("A")], .cursorHome, in: [.login, .filter, .search, .prompt], "start of the field"),
        KeyBinding([.end, .control("E")], .cursorEnd, in: [.login, .filter, .search, .prompt], "end of the field"),
        KeyBinding([.control("U")], .clearField, in: [.login, .filter, .search, .prompt], "clear the field"),
        KeyBinding([.alt("b")], .cursorWordLeft, in: [.login, .filter, .search, .prompt], "back a word"),
        KeyBinding([.alt("f")], .cursorWordRight, in: [.login, .filter, .search, .prompt], "forward a word"),
        KeyBinding([.alt("d")], .deleteWordForward, in: [.login, .filter, .search, .prompt], "delete the word after the cursor"),
        KeyBinding([.control("W")], .deleteWordBackward, in: [.login, .filter, .search, .prompt], "delete the word before the cursor"),

        // The help screen.
        KeyBinding([.up, .character("k")], .moveUp, in: [.help], "scroll up"),
        KeyBinding([.down, .character("j")], .moveDown, in: [.help], "scroll down"),
        KeyBinding([.pageUp], .pageUp, in: [.help], "page up"),
        KeyBinding([.pageDown, .character(" ")], .pageDown, in: [.help], "page down"),
        KeyBinding([.escape, .character("q"), .character("?"), .function(1)], .closeHelp, in: [.help], "close the help"),

        // Everywhere.
        KeyBinding([.character("?")], .toggleHelp, in: [.table, .cache, .users], "this help", hint: ("?", "help")),
        KeyBinding([.function(1)], .toggleHelp, in: [.login, .table, .filter, .search, .cache, .users], "this help", hint: ("F1", "help")),
        KeyBinding([.character("q")], .quit, in: [.table, .cache, .users, .tooSmall], "quit", hint: ("q", "quit")),
        KeyBinding([.control("C")], .quit, in: InputContext.allCases, "quit", hint: ("Ctrl-C", "quit")),
        KeyBinding([.control("Z")], .suspend, in: InputContext.allCases, "suspend to the shell (fg resumes)"),
    ])
}
