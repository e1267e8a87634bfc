import DoormanCore

/// The cache view (`c`): Doorman's entries in Redis and the throttle's
/// counters, one table: kind, user, password version, the time left (`TTL`,
/// counting down as the view refreshes) and what a login would make of it.
enum CacheView {
    static let gap = 2

    /// The columns' widths for a table `width` wide: kind, user, version, TTL (the state takes the rest).
    static func columnWidths(width: Int) -> (kind: Int, user: Int, version: Int, ttl: Int) {
        // The user column takes what the others and a short state leave, up
        // to a whole `(unknown user) 0b1c2d3e`.
        let user = max(10, min(23, width - 1 - (7 + gap) - (4 + gap) - (6 + gap) - 18))
        return (7, user, 4, 6)
    }

    static func draw(_ state: AppState, in rect: Rect, into buffer: inout ScreenBuffer) {
        guard rect.height >= 2, rect.width >= 20 else { return }
        let view = state.cacheView
        let widths = columnWidths(width: rect.width)
        let kindX = rect.x + 1
        let userX = kindX + widths.kind + gap
        let versionX = userX + widths.user + gap
        let ttlX = versionX + widths.version + gap
        let stateX = ttlX + widths.ttl + gap
        let stateWidth = max(0, rect.maxX - 1 - stateX)

        buffer.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), role: .tableHeader)
        buffer.write(DisplayWidth.pad("Kind", to: widths.kind), x: kindX, y: rect.y, role: .tableHeader)
        buffer.write(DisplayWidth.pad("User", to: widths.user), x: userX, y: rect.y, role: .tableHeader)
        buffer.write(DisplayWidth.pad("Ver", to: widths.version), x: versionX, y: rect.y, role: .tableHeader)
        buffer.write(DisplayWidth.pad("TTL", to: widths.ttl, alignRight: true), x: ttlX, y: rect.y, role: .tableHeader)
        if stateWidth > 0 { buffer.write(DisplayWidth.truncate("State", to: stateWidth), x: stateX, y: rect.y, role: .tableHeader) }

        let body = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1)
        let rows = view.rows
        if !view.loaded {
            if let error = view.error {
                buffer.center(DisplayWidth.truncate("Cannot read the cache: \(error)", to: body.width - 2), in: body, y: body.y + body.height / 2, role: .statusError)
            } else {
                buffer.center("\(state.spinner) Reading Redis…", in: body, y: body.y + body.height / 2, role: .spinner)
            }
            return
        }
        if rows.isEmpty {
            let lines = ["Redis holds no cached entry and no throttle counter.",
                         "Log in (or fail to): the entry appears here with its TTL."]
            for (offset, line) in lines.enumerated() {
                buffer.center(DisplayWidth.truncate(line, to: body.width - 2), in: body, y: body.y + body.height / 2 - 1 + offset, role: .tableRow)
            }
            return
        }
        let end = min(rows.count, view.top + body.height)
        for position in view.top..<end {
            let y = body.y + position - view.top
            let selected = position == view.selected
            let role: Role = selected ? .tableSelected : .tableRow
            buffer.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), role: role)
            let cells = cells(rows[position])
            buffer.write(DisplayWidth.pad(cells.kind, to: widths.kind), x: kindX, y: y, role: role)
            buffer.write(DisplayWidth.pad(DisplayWidth.truncate(cells.user, to: widths.user), to: widths.user), x: userX, y: y, role: role)
            buffer.write(DisplayWidth.pad(cells.version, to: widths.version), x: versionX, y: y, role: role)
            buffer.write(DisplayWidth.pad(cells.ttl, to: widths.ttl, alignRight: true), x: ttlX, y: y, role: role)
            if stateWidth > 0 {
                let stateRole: Role = selected ? .tableSelected : (cells.good ? .statusOK : .statusError)
                buffer.write(DisplayWidth.truncate(cells.state, to: stateWidth), x: stateX, y: y, role: cells.neutral && !selected ? role : stateRole)
            }
        }
        if rows.count > body.height && body.height >= 3 {
            let thumb = max(1, body.height * body.height / rows.count)
            let range = max(1, rows.count - body.height)
            let offset = (body.height - thumb) * view.top / range
            for y in 0..<body.height {
                let inThumb = y >= offset && y < offset + thumb
                buffer.write(inThumb ? "┃" : "│", x: rect.maxX - 1, y: body.y + y, role: inThumb ? .tableHeader : .panelBorder)
            }
        }
    }

    /// One row's cells, and whether its state is good news, bad news or neither.
    static func cells(_ row: CacheViewState.Row) -> (kind: String, user: String, version: String, ttl: String, state: String, good: Bool, neutral: Bool) {
        switch row {
        case .entry(let entry):
            var state = entry.state.label
            if entry.state == .stale, let current = entry.currentVersion { state = "stale (now v\(current)): refused" }
            return ("cache", entry.username, entry.version.map { "v\($0)" } ?? "—",
                    CacheViewState.timeLeft(milliseconds: entry.timeToLiveMilliseconds), state, entry.state.isValid, false)
        case .counter(let counter):
            let failures = "\(counter.count) \(counter.count == 1 ? "failure" : "failures")"
            let what = switch counter.kind {
            case .account: failures + ", all clients"
            case .pair: failures + ", one client"
            case .client: failures + ", all accounts"
            }
            return (counter.kind.rawValue, counter.who, "", CacheViewState.timeLeft(milliseconds: counter.timeToLiveMilliseconds), what, false, true)
        }
    }
}
