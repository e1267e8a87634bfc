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
        return nil
    }

    /// Clears the filter: every row again.
    mutating func clearFilter() {
        _ = editFilter { field in
            field.clear()
            return nil
        }
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
