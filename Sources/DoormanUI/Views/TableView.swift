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
        // Wide enough for the data and for the heading with its ▲.
        let idWidth = max(rows.idWidth, DisplayWidth.of(SortColumn.id.title) + 2)
        let priceWidth = max(rows.priceWidth, DisplayWidth.of(SortColumn.price.title) + 2)
        let nameWidth = max(4, rect.width - 2 - idWidth - priceWidth - 2 * gap)
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
        let query = table.filter.text
        let end = min(table.visibleCount, table.top + body.height)
        for position in table.top..<end {
            let y = body.y + position - table.top
            let product = rows.products[Int(table.visible[position])]
            let selected = position == table.selected
            let role: Role = selected ? .tableSelected : .tableRow
            let match: Role = selected ? .tableSelectedMatch : .tableMatch
            buffer.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), role: role)
            if selected { buffer.write("▸", x: rect.x, y: y, role: role) }  // visible without colour too
            buffer.write(highlighted(DisplayWidth.pad(String(product.id), to: idWidth, alignRight: true), query, role, match), x: idX, y: y, maxWidth: idWidth)
            buffer.write(highlighted(DisplayWidth.truncate(product.name, to: nameWidth), query, role, match), x: nameX, y: y, maxWidth: nameWidth)
            buffer.write(highlighted(DisplayWidth.pad(product.price, to: priceWidth, alignRight: true), query, role, match), x: priceX, y: y, maxWidth: priceWidth)
        }
    }

    /// `text` cut into spans, the parts that match `query` (ignoring case and
    /// accents, as the filter does) in `match`.
    static func highlighted(_ text: String, _ query: String, _ role: Role, _ match: Role) -> [Span] {
        guard !query.isEmpty else { return [Span(text, role)] }
        var spans: [Span] = []
        var rest = text[...]
        while let found = rest.range(of: query, options: [.caseInsensitive, .diacriticInsensitive]), !found.isEmpty {
            if found.lowerBound > rest.startIndex { spans.append(Span(String(rest[..<found.lowerBound]), role)) }
            spans.append(Span(String(rest[found]), match))
            rest = rest[found.upperBound...]
        }
        if !rest.isEmpty { spans.append(Span(String(rest), role)) }
        return spans
    }
}
