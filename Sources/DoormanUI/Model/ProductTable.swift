/// The product table's state: the rows, how they are sorted and filtered,
/// which one is selected and which are on screen.
///
/// Every operation works on precomputed keys (see ``ProductRows``): changing
/// the sort picks a prepared order; typing one more filter character narrows
/// the rows already shown; only the visible rows are ever drawn.
struct ProductTable: Equatable, Sendable {
    /// All rows of the last load.
    private(set) var rows: ProductRows = .empty
    /// The order.
    private(set) var sort = SortOrder(.id)
    /// The filter as typed.
    private(set) var filter = TextField(limit: .characters(ProductTable.maxFilterLength))
    /// `true` while the filter is being typed (keys go to it).
    var isEditingFilter = false
    /// The search as typed (`n`, F3): unlike the filter it hides no row; the
    /// selection jumps to the rows that match, and `n`/`N` go from one to the next.
    private(set) var search = TextField(limit: .characters(ProductTable.maxFilterLength))
    /// `true` while the search is being typed (keys go to it).
    private(set) var isEditingSearch = false
    /// Positions in ``visible`` of the rows that match the search, in order
    /// (empty without a search). Found once per edit, sort, filter or load.
    private(set) var searchMatches: [Int] = []
    /// Indices into `rows.products` of the rows shown, in order.
    private(set) var visible: [Int32] = []
    /// The selected position in ``visible``.
    private(set) var selected = 0
    /// The first position of ``visible`` on screen.
    private(set) var top = 0
    /// How many rows fit on screen (from the layout).
    private(set) var viewportRows = 1

    /// The longest filter, in characters.
    static let maxFilterLength = 100

    /// An empty table.
    init() {}

    /// The filter text folded for matching, as last applied.
    private var appliedQuery: [UInt8] = []
    /// The search text folded, as last applied.
    private var appliedSearch: [UInt8] = []
    /// Where the selection and the view were when the search field opened (Esc goes back there).
    private var searchOrigin: Origin?

    /// A selection and a first row on screen.
    private struct Origin: Equatable, Sendable {
        var selected: Int
        var top: Int
    }

    /// Where `n` or `N` went.
    enum SearchStep: Equatable, Sendable {
        /// To the next (or previous) matching row.
        case moved
        /// Past the last row to the first match (`toTop`), or past the first to the last.
        case wrapped(toTop: Bool)
        /// No row matches.
        case noMatch
    }

    /// The number of rows shown.
    var visibleCount: Int { visible.count }

    /// The selected product's index in `rows.products`, if any row is shown.
    var selectedRow: Int32? { visible.indices.contains(selected) ? visible[selected] : nil }

    /// Replaces the rows (a new load), keeping sort and filter.
    mutating func load(_ rows: ProductRows) {
        self.rows = rows
        selected = 0
        top = 0
        refilter(from: rows.indices(in: sort))
        findSearchMatches()
    }

    /// Sorts by `column`; the current column again reverses the direction.
    mutating func sort(by column: SortColumn) {
        sort = column == sort.column ? SortOrder(column, ascending: !sort.ascending) : SortOrder(column)
        resort()
    }

    /// Sorts by the next column (ID → Name → Price → ID), ascending.
    mutating func sortByNextColumn() {
        let columns = SortColumn.allCases
        let next = columns[(columns.firstIndex(of: sort.column)! + 1) % columns.count]
        sort = SortOrder(next)
        resort()
    }

    /// Reverses the direction.
    mutating func reverseSort() {
        sort.ascending.toggle()
        resort()
    }

    /// Applies an edit to the filter; the rows follow as it is typed. Returns
    /// the refusal when the edit was refused.
    mutating func editFilter(_ edit: (inout TextField) -> TextField.Refusal?) -> TextField.Refusal? {
        var field = filter
        if let refusal = edit(&field) { return refusal }
        filter = field
        let query = SearchKey.fold(field.text)
        if query == appliedQuery { return nil }
        // A query that contains the previous one only narrows: search the rows already shown.
        let narrowing = SearchKey.contains(query, appliedQuery)
        let keep = selectedRow
        appliedQuery = query
        let candidates = narrowing ? visible : rows.indices(in: sort)
        visible = query.isEmpty ? candidates : candidates.filter { rows.matches($0, query) }
        reselect(keep)
        findSearchMatches()
        return nil
    }

    /// Clears the filter: every row again.
    mutating func clearFilter() {
        _ = editFilter { field in
            field.clear()
            return nil
        }
    }

    // MARK: - Search

    /// The selected row's place among the matches (0 for the first), when it matches.
    var selectedMatch: Int? {
        let index = firstMatch(atOrAfter: selected)
        return index < searchMatches.count && searchMatches[index] == selected ? index : nil
    }

    /// Opens the search field (with the kept search's text, if any), remembering the selection for Esc.
    mutating func beginSearch() {
        isEditingSearch = true
        searchOrigin = Origin(selected: selected, top: top)
    }

    /// Applies an edit to the search; the selection jumps to the first row at
    /// or after where the search started that matches (from the top again
    /// past the last), or goes back there when none does. Returns the refusal
    /// when the edit was refused.
    mutating func editSearch(_ edit: (inout TextField) -> TextField.Refusal?) -> TextField.Refusal? {
        var field = search
        if let refusal = edit(&field) { return refusal }
        search = field
        let query = SearchKey.fold(field.text)
        if query == appliedSearch { return nil }
        // A query that contains the previous one can only match fewer rows: test those.
        let narrowing = !appliedSearch.isEmpty && SearchKey.contains(query, appliedSearch)
        appliedSearch = query
        if narrowing {
            searchMatches = searchMatches.filter { rows.matches(visible[$0], query) }
        } else {
            findSearchMatches()
        }
        let origin = searchOrigin ?? Origin(selected: selected, top: top)
        if let first = searchMatches.isEmpty ? nil : searchMatches[firstMatch(atOrAfter: origin.selected) % searchMatches.count] {
            selected = first
        } else {
            selected = origin.selected
            top = origin.top
        }
        scrollToSelection()
        return nil
    }

    /// Enter: keeps the search (an empty one is no search) and leaves the field.
    mutating func acceptSearch() {
        isEditingSearch = false
        searchOrigin = nil
    }

    /// Esc in the field: no search, and the selection back where it was.
    mutating func cancelSearch() {
        let origin = searchOrigin
        clearSearch()
        if let origin {
            selected = origin.selected
            top = origin.top
            scrollToSelection()
        }
    }

    /// No search (the selection stays).
    mutating func clearSearch() {
        search.clear()
        appliedSearch = []
        searchMatches = []
        isEditingSearch = false
        searchOrigin = nil
    }

    /// `n` (or `N` with `forward == false`): the next matching row after the
    /// selection, from the top again past the last (from the bottom past the first).
    mutating func stepSearch(forward: Bool) -> SearchStep {
        guard !searchMatches.isEmpty else { return .noMatch }
        let step: SearchStep
        if forward {
            let index = firstMatch(atOrAfter: selected + 1)
            if index < searchMatches.count {
                selected = searchMatches[index]
                step = .moved
            } else {
                selected = searchMatches[0]
                step = .wrapped(toTop: true)
            }
        } else {
            let index = firstMatch(atOrAfter: selected) - 1
            if index >= 0 {
                selected = searchMatches[index]
                step = .moved
            } else {
                selected = searchMatches[searchMatches.count - 1]
                step = .wrapped(toTop: false)
            }
        }
        scrollToSelection()
        return step
    }

    /// The index in ``searchMatches`` of the first match at `position` or after (its count when none).
    private func firstMatch(atOrAfter position: Int) -> Int {
        var low = 0, high = searchMatches.count
        while low < high {
            let middle = (low + high) / 2
            if searchMatches[middle] < position { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Finds the search's matches among the rows shown (one pass; none without a search).
    private mutating func findSearchMatches() {
        guard !appliedSearch.isEmpty else {
            searchMatches = []
            return
        }
        let query = appliedSearch
        searchMatches = visible.indices.filter { rows.matches(visible[$0], query) }
    }

    /// Moves the selection by `delta` rows (negative: up), within the rows.
    mutating func moveSelection(by delta: Int) {
        guard !visible.isEmpty else { return }
        selected = max(0, min(visible.count - 1, selected + delta))
        scrollToSelection()
    }

    /// A page down (or up with `down == false`): the selection and the view
    /// move by one screenful.
    mutating func page(down: Bool) {
        guard !visible.isEmpty else { return }
        let step = max(1, viewportRows - 1)
        let delta = down ? step : -step
        selected = max(0, min(visible.count - 1, selected + delta))
        top = max(0, min(max(0, visible.count - viewportRows), top + delta))
        scrollToSelection()
    }

    /// The first row (or the last with `end`).
    mutating func jump(toEnd end: Bool) {
        guard !visible.isEmpty else { return }
        selected = end ? visible.count - 1 : 0
        scrollToSelection()
    }

    /// Sets how many rows fit on screen (after a resize), keeping the selection in view.
    mutating func setViewport(rows: Int) {
        viewportRows = max(1, rows)
        scrollToSelection()
    }

    /// A new or reversed order starts at its first row (as htop and tig do):
    /// keeping the old row selected left the cursor somewhere in the middle
    /// of a list the person had just asked to see from the top.
    private mutating func resort() {
        let ordered = rows.indices(in: sort)
        visible = appliedQuery.isEmpty ? ordered : ordered.filter { rows.matches($0, appliedQuery) }
        selected = 0
        top = 0
        scrollToSelection()
        findSearchMatches()
    }

    private mutating func refilter(from ordered: [Int32]) {
        visible = appliedQuery.isEmpty ? ordered : ordered.filter { rows.matches($0, appliedQuery) }
        scrollToSelection()
    }

    /// Keeps the same product selected when it is still shown, else the first row.
    private mutating func reselect(_ row: Int32?) {
        if let row, let position = visible.firstIndex(of: row) {
            selected = position
        } else {
            selected = 0
            top = 0
        }
        scrollToSelection()
    }

    private mutating func scrollToSelection() {
        if visible.isEmpty {
            selected = 0
            top = 0
            return
        }
        selected = max(0, min(visible.count - 1, selected))
        if selected < top { top = selected }
        if selected >= top + viewportRows { top = selected - viewportRows + 1 }
        top = max(0, min(top, max(0, visible.count - viewportRows)))
    }
}
