import DoormanCore

/// The live cache panel: logins by store with the hit ratio, the hosted HTTP
/// server's traffic, the last burst side by side by store, a latency chart per
/// store and the latest logins. It lays out a ``PanelSnapshot``; it gathers
/// nothing.
enum PanelView {
    typealias Line = [Span]

    static func draw(_ state: AppState, in rect: Rect, placement: Layout.PanelPlacement, into buffer: inout ScreenBuffer) {
        guard rect.width >= 20, rect.height >= 4 else { return }
        let inner = Rect(x: rect.x + 2, y: rect.y + 1, width: rect.width - 4, height: rect.height - 2)
        if state.panelPage == .fleet {
            let count = state.fleet?.members.count
            buffer.box(rect, title: "Fleet" + (count.map { " · \($0) instance\($0 == 1 ? "" : "s")" } ?? ""))
            write(fleet(state, width: inner.width, height: inner.height), in: inner, into: &buffer)
            return
        }
        buffer.box(rect, title: "Cache · \(state.panel.scope)")
        switch placement {
        case .right:
            var lines = summary(state, width: inner.width)
            for section in [demo(state, width: inner.width), server(state), burst(state, width: inner.width), chart(state, width: inner.width)] where !section.isEmpty {
                lines += [[]] + section
            }
            lines += [[]] + recent(state, width: inner.width, limit: max(0, inner.height - lines.count - 2))
            write(lines, in: inner, into: &buffer)
        case .bottom:
            let leftWidth = (inner.width - 3) / 2
            let left = Rect(x: inner.x, y: inner.y, width: leftWidth, height: inner.height)
            let right = Rect(x: inner.x + leftWidth + 3, y: inner.y, width: inner.width - leftWidth - 3, height: inner.height)
            var leftLines = summary(state, width: left.width)
            for section in [chart(state, width: left.width), server(state)] where !section.isEmpty {
                leftLines += [[]] + section
            }
            write(leftLines, in: left, into: &buffer)
            let demoLines = demo(state, width: right.width)
            let burstLines = demoLines.isEmpty ? burst(state, width: right.width) : demoLines
            write(burstLines.isEmpty ? recent(state, width: right.width, limit: right.height - 1) : burstLines, in: right, into: &buffer)
        }
    }

    private static func write(_ lines: [Line], in rect: Rect, into buffer: inout ScreenBuffer) {
        for (offset, line) in lines.prefix(rect.height).enumerated() {
            buffer.write(line, x: rect.x, y: rect.y + offset, maxWidth: rect.width)
        }
    }

    /// Logins by store, the hit ratio, failures.
    static func summary(_ state: AppState, width: Int) -> [Line] {
        let panel = state.panel
        // One store after the other; a store that does not fit goes on the
        // next line, under the first (with the memory tier on, three stores
        // are wider than a narrow panel).
        let label = "Logins "
        var countLines: [Line] = [[Span(label, .panelTitle)]]
        var used = DisplayWidth.of(label)
        for source in panel.stores {
            let item: Line = [Span(" \(source.displayName) ", .status(source)), Span("\(panel.authenticated[source, default: 0])", .panel)]
            let itemWidth = DisplayWidth.of(item.map(\.text).joined())
            if used + itemWidth > width && used > DisplayWidth.of(label) {
                countLines.append([Span(String(repeating: " ", count: DisplayWidth.of(label)), .panel)])
                used = DisplayWidth.of(label)
            }
            countLines[countLines.count - 1] += item
            used += itemWidth
        }
        let ratio = Int((panel.hitRatio * 100).rounded())
        let second: Line = [Span("Hit ratio \(ratio)%", .panel), Span("  failed \(panel.rejected)", .panel)]
        var third: Line = []
        if panel.unavailable > 0 { third.append(Span("Unavailable \(panel.unavailable)  ", .statusError)) }
        third.append(Span("Flushes \(panel.flushes)", .panelMuted))
        if panel.cacheUnavailable > 0 { third.append(Span("  cache down \(panel.cacheUnavailable)×", .statusError)) }
        return countLines + [second, third]
    }

    /// The fleet page: one row per instance that publishes to the shared
    /// Redis (logins by store, failures, hit ratio, how long ago it was
    /// seen), then the totals. Columns that do not fit go, least useful
    /// first, so that the name keeps 12 columns.
    static func fleet(_ state: AppState, width: Int, height: Int) -> [Line] {
        guard let fleet = state.fleet else { return [[Span("Reading the fleet…", .panelMuted)]] }
        if let failure = fleet.failure { return [[Span(failure, .statusError)]] }
        if fleet.members.isEmpty {
            return [[Span("No instance publishes to this Redis.", .panelMuted)],
                    [Span("Each doorman serve does, every second.", .panelMuted)]]
        }
        struct Column {
            var title: String
            var width: Int
            var role: (FleetMember) -> Role
            var value: (FleetMember) -> String
        }
        let showMemory = fleet.members.contains { $0.logins[.memory, default: 0] > 0 }
        var columns: [Column] = [
            Column(title: AuthSource.redis.displayName, width: 6, role: { _ in .status(.redis) }, value: { "\($0.logins[.redis, default: 0])" }),
            Column(title: "PG", width: 6, role: { _ in .status(.postgres) }, value: { "\($0.logins[.postgres, default: 0])" }),
        ]
        if showMemory {
            columns.append(Column(title: "Mem", width: 5, role: { _ in .status(.memory) }, value: { "\($0.logins[.memory, default: 0])" }))
        }
        columns.append(Column(title: "Hit", width: 5, role: { _ in .panel }, value: { $0.hitRatioDescription }))
        columns.append(Column(title: "Fail", width: 5, role: { $0.failures > 0 ? .statusError : .panelMuted }, value: { "\($0.failures)" }))
        columns.append(Column(title: "Seen", width: 7, role: { _ in .panelMuted }, value: { member in
            FleetMember.secondsAgo(member.lastSeen, now: fleet.readAt)
        }))
        let nameMinimum = 12
        // Drop failures, then the memory tier, when the name would be squeezed.
        for title in ["Fail", "Mem"] where width - columns.reduce(0, { $0 + $1.width }) < nameMinimum {
            columns.removeAll { $0.title == title }
        }
        let nameWidth = max(1, width - columns.reduce(0) { $0 + $1.width })
        var lines: [Line] = [[Span(DisplayWidth.pad("Instance", to: nameWidth), .panelTitle)]
            + columns.map { Span(DisplayWidth.pad($0.title, to: $0.width, alignRight: true), .panelTitle) }]
        let rows = max(1, height - 3)
        for member in fleet.members.prefix(fleet.members.count > rows ? rows - 1 : rows) {
            lines.append([Span(DisplayWidth.pad(DisplayWidth.truncate(member.instance, to: nameWidth - 1), to: nameWidth), .panel)]
                + columns.map { Span(DisplayWidth.pad($0.value(member), to: $0.width, alignRight: true), $0.role(member)) })
        }
        if fleet.members.count > rows {
            lines.append([Span("… and \(fleet.members.count - rows + 1) more (doorman fleet lists all)", .panelMuted)])
        }
        let logins = fleet.members.reduce(0) { $0 + $1.totalLogins }
        let redis = fleet.members.reduce(0) { $0 + $1.logins[.redis, default: 0] }
        let failures = fleet.members.reduce(0) { $0 + $1.failures }
        let ratio = logins == 0 ? "-" : "\(Int((Double(redis) / Double(logins) * 100).rounded()))%"
        lines += [[], [Span("All  ", .panelTitle), Span("logins \(logins) · hit \(ratio) · failed \(failures)", .panel)]]
        return lines
    }

    /// The hosted HTTP server: where it listens and what it answered.
    static func server(_ state: AppState) -> [Line] {
        guard let server = state.panel.server else { return [] }
        let responses = server.responses.sorted { $0.key < $1.key }
        let counts: Line = responses.isEmpty
            ? [Span("no requests yet", .panelMuted)]
            : responses.map { Span("\($0.key)×\($0.value)  ", $0.key < 400 ? .statusOK : .statusError) }
        return [[Span("HTTP ", .panelTitle), Span(server.url, .panel)], counts]
    }

    /// The last burst: per store, how many logins and their mean latency, side
    /// by side, then every login in order as a bar in its store's colour.
    static func burst(_ state: AppState, width: Int) -> [Line] {
        guard let burst = state.burst else { return [] }
        let user = state.session?.authentication.username ?? ""
        let title = (burst.finished ? "" : "\(state.spinner) ") + "Burst \(burst.samples.count)/\(burst.total) as \(user), \(state.mode.latencyName)"
        var lines: [Line] = [[Span(title, .panelTitle)]]
        // The stores in the order they first answered (after a flush: PostgreSQL, then Redis).
        var sources: [AuthSource] = []
        for source in burst.samples.compactMap(\.source) where !sources.contains(source) { sources.append(source) }
        if sources.isEmpty { sources = state.panel.stores }
        let labelWidth = 10
        let columnWidth = max(10, sources.map { DisplayWidth.of($0.displayName) + 1 }.max() ?? 10)
        var header: Line = [Span(String(repeating: " ", count: labelWidth), .panel)]
        var logins: Line = [Span(DisplayWidth.pad("logins", to: labelWidth), .panelMuted)]
        var means: Line = [Span(DisplayWidth.pad("mean ms", to: labelWidth), .panelMuted)]
        for source in sources {
            let samples = burst.samples.filter { $0.source == source }.map(\.latency.millisecondsValue)
            header.append(Span(DisplayWidth.pad(source.displayName, to: columnWidth, alignRight: true), .status(source)))
            logins.append(Span(DisplayWidth.pad("\(samples.count)", to: columnWidth, alignRight: true), .panel))
            let mean = samples.isEmpty ? "–" : (samples.reduce(0, +) / Double(samples.count)).compactMilliseconds
            means.append(Span(DisplayWidth.pad(mean, to: columnWidth, alignRight: true), .panel))
        }
        lines += [header, logins, means]
        let maximum = burst.samples.map(\.latency.millisecondsValue).max() ?? 0
        var bars: Line = [Span(DisplayWidth.pad("in order", to: labelWidth), .panelMuted)]
        for sample in burst.samples.suffix(max(0, width - labelWidth)) {
            let bar = String(Sparkline.bar(sample.latency.millisecondsValue, maximum: maximum))
            bars.append(Span(sample.source == nil ? "×" : bar, sample.source.map(Role.chart) ?? .statusError))
        }
        lines.append(bars)
        if let failure = burst.failure { lines.append([Span(failure, .statusError)]) }
        return lines
    }

    /// The demo's two logins side by side: store, lookup, bcrypt, total.
    static func demo(_ state: AppState, width: Int) -> [Line] {
        guard let demo = state.demo else { return [] }
        let title = (demo.finished ? "" : "\(state.spinner) ") + "Demo: flush, log in, log in again"
        var lines: [Line] = [[Span(title, .panelTitle)]]
        let labelWidth = 8
        let columnWidth = max(10, (width - labelWidth) / 2)
        func row(_ label: String, _ values: [(String, Role)]) -> Line {
            [Span(DisplayWidth.pad(label, to: labelWidth), .panelMuted)]
                + values.map { Span(DisplayWidth.pad($0.0, to: columnWidth, alignRight: true), $0.1) }
        }
        let logins = demo.logins
        func cell(_ index: Int, _ text: (DemoLogin) -> String) -> (String, Role) {
            index < logins.count ? (text(logins[index]), .panel) : ("…", .panelMuted)
        }
        lines.append(row("", [("1st", .panelMuted), ("2nd", .panelMuted)]))
        lines.append(row("store", (0..<2).map { index in
            guard index < logins.count else { return ("…", .panelMuted) }
            return (logins[index].source?.displayName ?? "failed", logins[index].source.map(Role.status) ?? .statusError)
        }))
        lines.append(row(state.mode.latencyName == "lookup" ? "lookup" : "trip", (0..<2).map { cell($0) { $0.lookup.millisecondsValue.compactMilliseconds + " ms" } }))
        lines.append(row("bcrypt", (0..<2).map { cell($0) { $0.bcrypt.map { $0.millisecondsValue.compactMilliseconds + " ms" } ?? "–" } }))
        lines.append(row("total", (0..<2).map { cell($0) { $0.total.millisecondsValue.compactMilliseconds + " ms" } }))
        if let failure = demo.failure { lines.append([Span(failure, .statusError)]) }
        return lines
    }

    /// Recent latencies per store as sparklines on one scale, with the latest value.
    static func chart(_ state: AppState, width: Int) -> [Line] {
        let panel = state.panel
        var lines: [Line] = [[Span("Latency (\(state.mode.latencyName), ms)", .panelTitle)]]
        let labelWidth = 11
        let valueWidth = 6
        let barWidth = max(1, width - labelWidth - valueWidth)
        let shown = panel.stores.map { ($0, Array((panel.latencies[$0] ?? []).suffix(barWidth))) }
        let maximum = shown.flatMap(\.1).max() ?? 0
        for (source, values) in shown {
            var line: Line = [Span(DisplayWidth.pad(source.displayName, to: labelWidth), .status(source))]
            if values.isEmpty {
                line.append(Span("no logins yet", .panelMuted))
            } else {
                line.append(Span(DisplayWidth.pad(Sparkline.line(values, maximum: maximum), to: barWidth), .chart(source)))
                line.append(Span(DisplayWidth.pad(values.last!.compactMilliseconds, to: valueWidth, alignRight: true), .panel))
            }
            lines.append(line)
        }
        return lines
    }

    /// The latest logins, newest first: store (or failure), latency, origin, time, user.
    static func recent(_ state: AppState, width: Int, limit: Int) -> [Line] {
        guard limit > 0 else { return [] }
        var lines: [Line] = [[Span("Recent logins", .panelTitle)]]
        if state.panel.recent.isEmpty {
            lines.append([Span("none yet", .panelMuted)])
            return lines
        }
        let showTime = width >= 40
        for event in state.panel.recent.prefix(limit - 1) {
            let (label, role): (String, Role) = switch event.result {
            case .authenticated(let source): (source.displayName, .status(source))
            case .rejected: ("failed", .statusError)
            case .unavailable: ("unavailable", .statusError)
            case .throttled: ("throttled", .statusError)
            }
            var line: Line = []
            if showTime { line.append(Span(event.time + " ", .panelMuted)) }
            line.append(Span(DisplayWidth.pad(label, to: 11), role))
            line.append(Span(DisplayWidth.pad(event.latency.millisecondsValue.compactMilliseconds, to: 5, alignRight: true) + " ", .panel))
            line.append(Span(DisplayWidth.pad(event.origin == "terminal" ? "tui" : event.origin, to: 5), .panelMuted))
            line.append(Span(event.username, .panel))
            lines.append(line)
        }
        return lines
    }
}
