import Foundation

/// The product table: ID, name and price (right-aligned) columns sized by
/// display width, the sort shown in the heading, filter matches highlighted.
/// Only the rows on screen are laid out.
enum TableView {
    static let gap = 2

    static func draw(_ state: AppState, in rect: Rect, into buffer: inout ScreenBuffer) {
        guard rect.height >= 2, rect.width >= 20 else { return }
        let table = state.table
        let rows = table.rows
        let (idWidth, nameWidth, priceWidth) = columnWidths(rows, width: rect.width)
        let idX = rect.x + 1
        let nameX = idX + idWidth + gap
        let priceX = nameX + nameWidth + gap

        // The heading, with ▲ or ▼ by the sorted column.
        buffer.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), role: .tableHeader)
        func heading(_ column: SortColumn) -> String {
            column == table.sort.column ? column.title + (table.sort.ascending ? " ▲" : " ▼") : column.title
        }
        buffer.write(DisplayWidth.pad(heading(.id), to: idWidth, alignRight: true), x: idX, y: rect.y, role: .tableHeader)
        buffer.write(DisplayWidth.pad(heading(.name), to: nameWidth), x: nameX, y: rect.y, role: .tableHeader)
        buffer.write(DisplayWidth.pad(heading(.price), to: priceWidth, alignRight: true), x: priceX, y: rect.y, role: .tableHeader)

        let body = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1)
        if state.productsLoading {
            buffer.center("\(state.spinner) Loading products…", in: body, y: body.y + body.height / 2, role: .spinner)
            return
        }
        if let error = state.productsError, rows.count == 0 {
            buffer.center("Cannot load the products: \(error)", in: body, y: body.y + body.height / 2, role: .statusError)
            return
        }
        if table.visibleCount == 0 {
            let text = table.filter.isEmpty ? "No products." : "No product matches “\(table.filter.text)”."
            buffer.center(text, in: body, y: body.y + body.height / 2, role: .tableRow)
            return
        }
        // The filter's and the search's matches are highlighted alike.
        let queries = [table.filter.text, table.search.text].filter { !$0.isEmpty }
        let end = min(table.visibleCount, table.top + body.height)
        defer {
            // A scroll bar at the right edge when the rows do not all fit.
            if table.visibleCount > body.height && body.height >= 3 {
                let thumb = max(1, body.height * body.height / table.visibleCount)
                let range = max(1, table.visibleCount - body.height)
                let offset = (body.height - thumb) * table.top / range
                for y in 0..<body.height {
                    let inThumb = y >= offset && y < offset + thumb
                    buffer.write(inThumb ? "┃" : "│", x: rect.maxX - 1, y: body.y + y, role: inThumb ? .tableHeader : .panelBorder)
                }
            }
        }
        for position in table.top..<end {
            let y = body.y + position - table.top
            let product = rows.products[Int(table.visible[position])]
            let selected = position == table.selected
            let role: Role = selected ? .tableSelected : .tableRow
            let match: Role = selected ? .tableSelectedMatch : .tableMatch
            buffer.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), role: role)
            if selected { buffer.write("▸", x: rect.x, y: y, role: role) }  // visible without colour too
            buffer.write(highlighted(DisplayWidth.pad(String(product.id), to: idWidth, alignRight: true), queries, role, match), x: idX, y: y, maxWidth: idWidth)
            buffer.write(highlighted(DisplayWidth.truncate(product.name, to: nameWidth), queries, role, match), x: nameX, y: y, maxWidth: nameWidth)
            buffer.write(highlighted(DisplayWidth.pad(product.price, to: priceWidth, alignRight: true), queries, role, match), x: priceX, y: y, maxWidth: priceWidth)
        }
    }

    /// The columns' widths: wide enough for the data and for the heading with its ▲.
    static func columnWidths(_ rows: ProductRows, width: Int) -> (id: Int, name: Int, price: Int) {
        let idWidth = max(rows.idWidth, DisplayWidth.of(SortColumn.id.title) + 2)
        let priceWidth = max(rows.priceWidth, DisplayWidth.of(SortColumn.price.title) + 2)
        let nameWidth = max(4, width - 2 - idWidth - priceWidth - 2 * gap)
        return (idWidth, nameWidth, priceWidth)
    }

    /// The column whose heading is at `x` in a table drawn in `rect` (for a click).
    static func column(atX x: Int, _ rows: ProductRows, in rect: Rect) -> SortColumn? {
        let (idWidth, nameWidth, _) = columnWidths(rows, width: rect.width)
        let nameX = rect.x + 1 + idWidth + gap
        let priceX = nameX + nameWidth + gap
        guard (rect.x..<rect.maxX).contains(x) else { return nil }
        if x < nameX - gap / 2 { return .id }
        if x < priceX - gap / 2 { return .name }
        return .price
    }

    /// The selected product in a box over the table (Enter): every field
    /// whole, the name wrapped, with its position.
    static func drawDetail(_ state: AppState, in rect: Rect, into buffer: inout ScreenBuffer) {
        let table = state.table
        guard let row = table.selectedRow, rect.width >= 24, rect.height >= 7 else { return }
        let product = table.rows.products[Int(row)]
        let width = min(rect.width - 4, 60)
        let nameWidth = width - 4 - 8
        var nameLines: [String] = []
        var rest = product.name
        while !rest.isEmpty && nameLines.count < 4 {
            let line = DisplayWidth.truncate(rest, to: nameWidth)
            let taken = line.hasSuffix("…") && line != rest ? String(line.dropLast()) : line
            nameLines.append(taken)
            rest = String(rest.dropFirst(taken.count))
            if taken.isEmpty { break }
        }
        let height = min(rect.height, 6 + nameLines.count)
        let box = Rect(x: rect.x + (rect.width - width) / 2, y: rect.y + max(0, (rect.height - height) / 2), width: width, height: height)
        buffer.fill(box, role: .default)
        buffer.box(box, title: "Product \(product.id)")
        let x = box.x + 2
        var y = box.y + 1
        func field(_ label: String, _ value: String) {
            guard y < box.maxY - 1 else { return }
            buffer.write(DisplayWidth.pad(label, to: 8), x: x, y: y, role: .loginLabel)
            buffer.write(value, x: x + 8, y: y, role: .panel, maxWidth: nameWidth)
            y += 1
        }
        field("ID", String(product.id))
        for (index, line) in nameLines.enumerated() { field(index == 0 ? "Name" : "", line) }
        field("Price", product.price)
        field("Row", "\(table.selected + 1) of \(table.visibleCount)" + (table.filter.isEmpty ? "" : " (filtered from \(table.rows.count))"))
        if y < box.maxY - 1 { buffer.write("Esc closes · ↑↓ next product", x: x, y: box.maxY - 2, role: .panelMuted, maxWidth: width - 4) }
    }

    /// `text` cut into spans, the parts that match `query` (ignoring case and
    /// accents, as the filter does) in `match`.
    static func highlighted(_ text: String, _ query: String, _ role: Role, _ match: Role) -> [Span] {
        highlighted(text, query.isEmpty ? [] : [query], role, match)
    }

    /// `text` cut into spans, the parts that match any of `queries` (the
    /// filter's and the search's) in `match`; where two overlap, the one
    /// that starts first, or else the longer, wins.
    static func highlighted(_ text: String, _ queries: [String], _ role: Role, _ match: Role) -> [Span] {
        let queries = queries.filter { !$0.isEmpty }
        guard !queries.isEmpty else { return [Span(text, role)] }
        var spans: [Span] = []
        var rest = text[...]
        while true {
            var best: Range<Substring.Index>?
            for query in queries {
                guard let found = rest.range(of: query, options: [.caseInsensitive, .diacriticInsensitive]), !found.isEmpty else { continue }
                if let current = best, current.lowerBound < found.lowerBound || (current.lowerBound == found.lowerBound && current.upperBound >= found.upperBound) { continue }
                best = found
            }
            guard let found = best else { break }
            if found.lowerBound > rest.startIndex { spans.append(Span(String(rest[..<found.lowerBound]), role)) }
            spans.append(Span(String(rest[found]), match))
            rest = rest[found.upperBound...]
        }
        if !rest.isEmpty { spans.append(Span(String(rest), role)) }
        return spans
    }
}
