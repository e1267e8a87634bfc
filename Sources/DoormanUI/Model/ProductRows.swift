import DoormanCore
import Foundation

/// The products of one load, with everything sorting and filtering need
/// computed once: folded search keys, numeric prices and the order of the rows
/// by each column. Building it is O(n log n) and can take a moment for tens of
/// thousands of products, so the UI builds it off its thread; after that, a
/// sort is a lookup and a filter one pass of byte comparisons.
///
/// Immutable, and compared by identity.
final class ProductRows: Sendable, Equatable {
    /// The products, in the order they were loaded.
    let products: [Product]
    /// Each product's folded text (name, id and price, separated by NUL), for
    /// case- and accent-insensitive matching.
    let searchKeys: [[UInt8]]
    /// Row indices in ascending order of each column (ties by id).
    let ascending: [SortColumn: [Int32]]
    /// The widest id and price, in columns.
    let idWidth: Int
    /// The widest price, in columns.
    let priceWidth: Int

    /// No products.
    static let empty = ProductRows([])

    /// Prepares `products` for the table.
    init(_ products: [Product]) {
        self.products = products
        let folded = products.map { SearchKey.fold($0.name) }
        searchKeys = products.indices.map { index in
            folded[index] + [0] + Array(String(products[index].id).utf8) + [0] + Array(products[index].price.utf8)
        }
        let prices = products.map { Double($0.price) ?? -.infinity }
        let ids = products.map(\.id)
        let all = Array(Int32(0)..<Int32(products.count))
        let byID = all.sorted { ids[Int($0)] < ids[Int($1)] }
        let byName = all.sorted { left, right in
            let (a, b) = (folded[Int(left)], folded[Int(right)])
            if a != b { return a.lexicographicallyPrecedes(b) }
            return ids[Int(left)] < ids[Int(right)]
        }
        let byPrice = all.sorted { left, right in
            let (a, b) = (prices[Int(left)], prices[Int(right)])
            if a != b { return a < b }
            return ids[Int(left)] < ids[Int(right)]
        }
        ascending = [.id: byID, .name: byName, .price: byPrice]
        idWidth = products.map { DisplayWidth.of(String($0.id)) }.max() ?? 0
        priceWidth = products.map { DisplayWidth.of($0.price) }.max() ?? 0
    }

    /// The number of products.
    var count: Int { products.count }

    /// Row indices in `order`.
    func indices(in order: SortOrder) -> [Int32] {
        let rows = ascending[order.column] ?? []
        return order.ascending ? rows : rows.reversed()
    }

    /// `true` when row `index` contains the folded `query`.
    func matches(_ index: Int32, _ query: [UInt8]) -> Bool {
        SearchKey.contains(searchKeys[Int(index)], query)
    }

    /// The same load (rows are compared by identity, never element by element).
    static func == (left: ProductRows, right: ProductRows) -> Bool { left === right }
}

/// A table column the rows can be sorted by.
enum SortColumn: String, CaseIterable, Sendable {
    /// `product_id`.
    case id
    /// `product_name`, ignoring case and accents.
    case name
    /// `retail_price`, as a number.
    case price

    /// The column's heading.
    var title: String {
        switch self {
        case .id: "ID"
        case .name: "Name"
        case .price: "Price"
        }
    }
}

/// A column and a direction.
struct SortOrder: Equatable, Sendable {
    /// The column.
    var column: SortColumn
    /// Smallest first.
    var ascending: Bool

    /// Creates an order.
    init(_ column: SortColumn, ascending: Bool = true) {
        self.column = column
        self.ascending = ascending
    }
}

/// Matching that ignores case and accents: `cafe` finds `CAFÉ AU LAIT BOWL`.
enum SearchKey {
    /// `text` folded (case and diacritics removed), as UTF-8.
    static func fold(_ text: String) -> [UInt8] {
        Array(text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).utf8)
    }

    /// `true` when `needle` occurs in `haystack` (byte for byte; both folded).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pin in
                guard let first = pin.first else { return true }
                guard pin.count <= hay.count else { return false }
                var index = 0
                let last = hay.count - pin.count
                while index <= last {
                    if hay[index] == first {
                        var offset = 1
                        while offset < pin.count && hay[index + offset] == pin[offset] { offset += 1 }
                        if offset == pin.count { return true }
                    }
                    index += 1
                }
                return false
            }
        }
    }
}
