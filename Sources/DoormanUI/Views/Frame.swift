import DoormanCore

/// Draws a whole frame from the state: a pure function from ``AppState`` to
/// ``ScreenBuffer``. The terminal shows the result; snapshot tests read it as
/// text.
enum Frame {
    /// The frame for `state`.
    static func render(_ state: AppState, keymap: Keymap = .standard) -> ScreenBuffer {
        var buffer = ScreenBuffer(size: state.size)
        guard state.size.columns > 0, state.size.rows > 0 else { return buffer }
        guard state.size.isUsable else {
            drawTooSmall(state.size, into: &buffer)
            return buffer
        }
        let layout = state.layout
        drawTitle(state, into: &buffer)
        if let help = state.help {
            HelpView.draw(help, mode: state.mode, keymap: keymap, in: layout.body, into: &buffer)
        } else {
            switch state.screen {
            case .login: LoginView.draw(state, in: layout.main, into: &buffer)
            case .products:
                TableView.draw(state, in: layout.main, into: &buffer)
                if state.detailOpen { TableView.drawDetail(state, in: layout.main, into: &buffer) }
            case .cache:
                CacheView.draw(state, in: layout.main, into: &buffer)
            case .users:
                UsersView.draw(state, in: layout.main, into: &buffer)
            }
            if let rect = layout.panel {
                PanelView.draw(state, in: rect, placement: layout.placement ?? .right, into: &buffer)
            }
        }
        drawStatus(state, row: layout.statusRow, into: &buffer)
        drawFooter(state, keymap: keymap, row: layout.footerRow, into: &buffer)
        return buffer
    }

    /// The title bar: what Doorman is connected to, the stores' health
    /// strip, and the theme. When room runs out the theme goes first, then
    /// the detail is shortened; the health strip stays.
    static func drawTitle(_ state: AppState, into buffer: inout ScreenBuffer) {
        let width = state.size.columns
        buffer.fill(Rect(x: 0, y: 0, width: width, height: 1), role: .title)
        let theme = "theme \(state.themeName) "
        let head = " Doorman · \(state.mode.name)"
        let detail = " · \(state.mode.detail)"
        var strip: [Span] = []
        for (index, status) in state.health.enumerated() {
            if index > 0 { strip.append(Span(" · ", .title)) }
            strip.append(Span(status.text, .title(status.state)))
        }
        let stripWidth = DisplayWidth.of(strip.map(\.text).joined())
        let stripRoom = stripWidth > 0 ? stripWidth + 3 : 0
        var x = buffer.write(head, x: 0, y: 0, role: .title)
        let showTheme = DisplayWidth.of(head) + DisplayWidth.of(detail) + stripRoom + DisplayWidth.of(theme) + 1 <= width
        let right = width - (showTheme ? DisplayWidth.of(theme) : 0) - stripRoom - 1
        if right - x > 4 {
            x = buffer.write(DisplayWidth.truncate(detail, to: right - x), x: x, y: 0, role: .title)
        }
        if stripWidth > 0 && stripWidth + 1 <= width - DisplayWidth.of(head) {
            let stripX = width - (showTheme ? DisplayWidth.of(theme) : 0) - stripWidth - 2
            buffer.write(strip, x: max(x + 1, stripX), y: 0, maxWidth: width - max(x + 1, stripX))
        }
        if showTheme {
            buffer.write(theme, x: width - DisplayWidth.of(theme), y: 0, role: .title)
        }
    }

    /// The status line: who is logged in and which store said yes, in that store's colour.
    static func drawStatus(_ state: AppState, row: Int, into buffer: inout ScreenBuffer) {
        let width = state.size.columns
        buffer.fill(Rect(x: 0, y: row, width: width, height: 1), role: .status)
        let activity = activityText(state)
        let room = width - (activity.map { DisplayWidth.of($0) + 4 } ?? 0)
        var spans: [Span] = [Span(" ", .status)]
        if let authentication = state.session?.authentication {
            // Who and which store always; the timings and the cache warning when they fit.
            let verdict = [Span(authentication.username, .status), Span(" · ", .status), Span(authentication.verdict, .status(authentication.source))]
            let timing = [Span(" · \(authentication.timingSummary)", .status)]
            // The cache's part: off on purpose (by --no-cache or by `o`) is news, not a fault.
            let warning: [Span] = if authentication.cacheBypassed {
                [Span(" · ", .status), Span("cache off by you", .statusWarning)]
            } else if state.mode.cacheOff {
                [Span(" · ", .status), Span("cache off", .statusWarning)]
            } else if authentication.cacheUnavailable {
                [Span(" · ", .status), Span("cache unavailable", .statusError)]
            } else {
                []
            }
            let candidates = [verdict + timing + warning, verdict + warning, verdict]
            spans += candidates.first { DisplayWidth.of($0.map(\.text).joined()) + 1 <= room } ?? verdict
        } else {
            spans.append(Span(state.pendingLogin == nil ? "Not logged in" : "Logging in…", .status))
        }
        buffer.write(spans, x: 0, y: row, maxWidth: max(0, room))
        if let activity {
            let text = "\(state.spinner) \(activity) "
            buffer.write(text, x: width - DisplayWidth.of(text), y: row, role: .spinner)
        }
    }

    /// What runs in the background, for the status line's right end.
    static func activityText(_ state: AppState) -> String? {
        if state.pendingLogin != nil { return "logging in" }
        if state.productsLoading { return "loading products" }
        if let burst = state.burst, !burst.finished { return "burst \(burst.samples.count)/\(burst.total)" }
        if state.flushPending { return "flushing" }
        return nil
    }

    /// The footer: the filter being typed, then the message or the key hints.
    static func drawFooter(_ state: AppState, keymap: Keymap, row: Int, into buffer: inout ScreenBuffer) {
        let width = state.size.columns
        buffer.fill(Rect(x: 0, y: row, width: width, height: 1), role: .footer)
        var x = 1
        let context = state.inputContext
        if state.screen == .products && state.help == nil, let field = state.burstPrompt {
            let settings = state.burstSettings
            x = buffer.write("Burst: logins, at once (Enter: \(settings.count) \(settings.concurrency)): ", x: x, y: row, role: .footerKey)
            let end = buffer.write(field.text, x: x, y: row, role: .footer)
            buffer.cursor = ScreenBuffer.Point(x: min(end, x + DisplayWidth.of(String(field.text.prefix(field.cursor)))), y: row)
            x = end + 2
        } else if state.screen == .users && state.help == nil, let prompt = state.usersView.prompt {
            // The question, and the answer typed so far (a password as one • per character).
            x = buffer.write(prompt.label, x: x, y: row, role: .footerKey)
            if let field = prompt.field {
                let shown = prompt.isSecret ? String(repeating: "•", count: field.text.count) : field.text
                let fitted = DisplayWidth.truncate(shown, to: max(1, width / 3))
                let end = buffer.write(fitted, x: x, y: row, role: .footer)
                let before = prompt.isSecret ? String(repeating: "•", count: field.cursor) : String(field.text.prefix(field.cursor))
                buffer.cursor = ScreenBuffer.Point(x: min(end, x + DisplayWidth.of(before)), y: row)
                x = end + 2
            } else {
                x += 1
            }
        } else if state.screen == .users && state.help == nil && state.usersView.loaded {
            let view = state.usersView
            let position = view.users.isEmpty ? "no users" : "user \(view.selected + 1)/\(view.users.count)"
            let crowds = state.message.map { x + DisplayWidth.of(position) + 2 + DisplayWidth.of($0.text) > width - 18 } ?? false
            if !crowds { x = buffer.write(position, x: x, y: row, role: .footer) + 2 }
        }
        if state.screen == .cache && state.help == nil && state.cacheView.loaded {
            let view = state.cacheView
            let position = view.rows.isEmpty ? "no entries" : "row \(view.selected + 1)/\(view.rows.count)"
            let crowds = state.message.map { x + DisplayWidth.of(position) + 2 + DisplayWidth.of($0.text) > width - 18 } ?? false
            if !crowds { x = buffer.write(position, x: x, y: row, role: .footer) + 2 }
        }
        if state.screen == .products && state.help == nil {
            let table = state.table
            if context == .filter || context == .search {
                // The field being typed: `/text` for the filter, `Search: text`.
                x = buffer.write(context == .filter ? "/" : "Search: ", x: x, y: row, role: .footerKey)
                let field = context == .filter ? table.filter : table.search
                let shown = DisplayWidth.truncate(field.text, to: max(1, width / 3))
                let end = buffer.write(shown, x: x, y: row, role: .footer)
                let prefix = String(field.text.prefix(field.cursor))
                buffer.cursor = ScreenBuffer.Point(x: min(end, x + DisplayWidth.of(prefix)), y: row)
                x = end + 2
            }
            // The position, unless it would crowd out a message.
            let position = positionText(table)
            let messageWidth = state.message.map { DisplayWidth.of($0.text) } ?? 0
            let essentialWidth = 18
            let crowds = state.message != nil && x + DisplayWidth.of(position) + 2 + messageWidth > width - essentialWidth
            if !state.productsLoading && state.session != nil && !crowds {
                x = buffer.write(position, x: x, y: row, role: .footer) + 2
                if !table.filter.isEmpty && context == .table {
                    x = buffer.write("filter “\(DisplayWidth.truncate(table.filter.text, to: 20))”", x: x, y: row, role: .footer) + 2
                }
                // The search and where the selection is among its matches.
                if !table.search.isEmpty && (context == .table || context == .search) {
                    let kept = context == .table ? "search “\(DisplayWidth.truncate(table.search.text, to: 20))” " : ""
                    let text = kept + searchPositionText(table)
                    if state.message == nil || x + DisplayWidth.of(text) + 2 + messageWidth <= width - essentialWidth {
                        x = buffer.write(text, x: x, y: row, role: .footer) + 2
                    }
                }
            }
        }
        var hints = keymap.footerHints(in: context, mode: state.mode)
        if context == .table && state.table.filter.isEmpty && state.table.search.isEmpty {
            hints.removeAll { $0.command == .clearFilter }
        }
        if context == .help {
            hints = [Keymap.Hint(command: .closeHelp, keys: "Esc", label: "close"), Keymap.Hint(command: .moveDown, keys: "↑↓", label: "scroll")]
        }
        // Help and quit are essential: they always show, at the right end,
        // messages or not; the other hints fill what is left, and "…" says
        // some did not fit (F1 lists them all).
        let essential: Set<Command> = [.toggleHelp, .quit, .closeHelp]
        let kept = hints.filter { essential.contains($0.command) }
        let others = hints.filter { !essential.contains($0.command) }
        func hintWidth(_ hint: Keymap.Hint) -> Int { DisplayWidth.of(hint.keys) + 1 + DisplayWidth.of(hint.label) }
        let keptWidth = kept.reduce(0) { $0 + hintWidth($1) + 2 }
        var right = max(x, width - keptWidth)
        var keptX = right
        for hint in kept {
            keptX = buffer.write(hint.keys, x: keptX, y: row, role: .footerKey)
            keptX = buffer.write(" " + hint.label, x: keptX, y: row, role: .footer) + 2
        }
        right -= 1
        if let message = state.message {
            let role: Role = switch message.kind {
            case .info: .footer
            case .ok: .statusOK
            case .error: .statusError
            }
            let room = right - x
            buffer.write(DisplayWidth.truncate(message.text, to: max(0, room)), x: x, y: row, role: role, maxWidth: max(0, room))
            return
        }
        for (index, hint) in others.enumerated() {
            let last = index == others.count - 1
            // Room for this hint, and for "…" and a space unless it is the last.
            if x + hintWidth(hint) + (last ? 0 : 3) > right {
                buffer.write("…", x: x, y: row, role: .footerKey)
                break
            }
            x = buffer.write(hint.keys, x: x, y: row, role: .footerKey)
            x = buffer.write(" " + hint.label, x: x, y: row, role: .footer) + 2
        }
    }

    /// The table's position for the footer: `row 35/453`, or with a filter
    /// `row 3/12 of 453`, or `no match of 453`.
    static func positionText(_ table: ProductTable) -> String {
        if table.filter.isEmpty {
            return table.visibleCount == 0 ? "no rows" : "row \(table.selected + 1)/\(table.visibleCount)"
        }
        if table.visibleCount == 0 { return "no match of \(table.rows.count)" }
        return "row \(table.selected + 1)/\(table.visibleCount) of \(table.rows.count)"
    }

    /// Where the selection is among the search's matches: `match 3 of 17`,
    /// `17 matches` (the selection is on none), or `no match`.
    static func searchPositionText(_ table: ProductTable) -> String {
        let count = table.searchMatches.count
        if count == 0 { return "no match" }
        if let index = table.selectedMatch { return "match \(index + 1) of \(count)" }
        return count == 1 ? "1 match" : "\(count) matches"
    }

    /// The message shown instead of the UI when the terminal is too small.
    static func drawTooSmall(_ size: TerminalSize, into buffer: inout ScreenBuffer) {
        let lines: [(String, Role)] = [
            ("Terminal too small: \(size)", .statusError),
            ("Doorman needs at least \(TerminalSize.minimum).", .default),
            ("Enlarge the window, or press q to quit.", .default),
        ]
        let all = Rect(x: 0, y: 0, width: size.columns, height: size.rows)
        let top = max(0, (size.rows - lines.count) / 2)
        for (offset, line) in lines.enumerated() where top + offset < size.rows {
            buffer.center(line.0, in: all, y: top + offset, role: line.1)
        }
    }
}
