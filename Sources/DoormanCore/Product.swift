/// One row of the `products` table, as text, the way the seed's API returns it.
public struct Product: Sendable, Hashable, Codable {
    /// `product_id`, e.g. `1`.
    public var id: Int64
    /// `product_name`, e.g. `1L FOUNTAIN DRINKING WATER` (empty when NULL).
    public var name: String
    /// `retail_price` as PostgreSQL prints it, e.g. `2.55` (empty when NULL).
    public var price: String

    /// Creates a product.
    public init(id: Int64, name: String, price: String) {
        self.id = id
        self.name = name
        self.price = price
    }
}
