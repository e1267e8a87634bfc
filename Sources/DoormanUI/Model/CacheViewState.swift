import DoormanCore

/// The cache view (`c`): what Redis holds for Doorman, refreshed about once a
/// second while it is open. Its rows are the cached entries, then the
/// throttle counters; the selection follows its row across refreshes.
struct CacheViewState: Equatable, Sendable {
    /// One row of the view.
    enum Row: Equatable, Sendable {
        /// A user's cached entry.
        case entry(CachedCredential)
        /// A throttle counter.
        case counter(ThrottleCounter)

        /// What identifies the row across refreshes.
        var identity: String {
            switch self {
            case .entry(let entry): "entry:\(entry.username)"
            case .counter(let counter): "\(counter.kind.rawValue):\(counter.subject):\(counter.username ?? "")"
            }
        }

        /// The account the row is about, when it is known.
        var username: String? {
            switch self {
            case .entry(let entry): entry.username
            case .counter(let counter): counter.username
            }
        }
    }

    /// The cached entries.
    private(set) var entries: [CachedCredential] = []
    /// The throttle counters.
    private(set) var counters: [ThrottleCounter] = []
    /// `true` once a first answer arrived.
    private(set) var loaded = false
    /// Why the last refresh failed (the rows of the one before stay).
    var error: String?
    /// The selected row's index.
    private(set) var selected = 0
    /// The first row shown.
    private(set) var top = 0
    /// How many rows fit.
    private(set) var viewport = 1

    /// Every row, entries first.
    var rows: [Row] { entries.map(Row.entry) + counters.map(Row.counter) }

    /// The selected row, if any.
    var selectedRow: Row? {
        let rows = rows
        return rows.indices.contains(selected) ? rows[selected] : nil
    }

    /// Takes a refresh; the selection stays on its row when the row is still there.
    mutating func load(entries: [CachedCredential], counters: [ThrottleCounter]) {
        let kept = selectedRow?.identity
        self.entries = entries
        self.counters = counters
        loaded = true
        error = nil
        if let kept, let index = rows.firstIndex(where: { $0.identity == kept }) { selected = index }
        clamp()
    }

    /// Moves the selection by `delta` rows.
    mutating func moveSelection(by delta: Int) {
        selected += delta
        clamp()
    }

    /// A page up or down.
    mutating func page(down: Bool) { moveSelection(by: down ? max(1, viewport - 1) : -max(1, viewport - 1)) }

    /// The first or last row.
    mutating func jump(toEnd: Bool) {
        selected = toEnd ? rows.count - 1 : 0
        clamp()
    }

    /// Tells the view how many rows fit.
    mutating func setViewport(rows: Int) {
        viewport = max(1, rows)
        clamp()
    }

    private mutating func clamp() {
        let count = entries.count + counters.count
        selected = max(0, min(selected, count - 1))
        if selected < top { top = selected }
        if selected >= top + viewport { top = selected - viewport + 1 }
        top = max(0, min(top, max(0, count - viewport)))
    }

    /// `4m59s`, `59s`, `1h02m`; `∞` when the key never expires.
    static func timeLeft(milliseconds: Int64?) -> String {
        guard let milliseconds else { return "∞" }
        let seconds = (milliseconds + 999) / 1_000
        if seconds >= 3_600 { return "\(seconds / 3_600)h\(twoDigits((seconds % 3_600) / 60))m" }
        if seconds >= 60 { return "\(seconds / 60)m\(twoDigits(seconds % 60))s" }
        return "\(seconds)s"
    }

    private static func twoDigits(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
