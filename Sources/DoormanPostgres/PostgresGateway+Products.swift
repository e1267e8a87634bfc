import DoormanCore

extension PostgresGateway {
    /// Products in `product_id` order: all of them, or with `limit` a page of
    /// those whose id is greater than `after` (keyset paging).
    public func products(limit: Int? = nil, after: Int64? = nil) throws -> [Product] {
        try withConnection { connection in
            let result = try connection.query(
                """
                SELECT product_id, product_name, retail_price FROM products
                WHERE $1::bigint IS NULL OR product_id > $1::bigint
                ORDER BY product_id
                LIMIT $2::bigint
                """,
                [after.map(String.init), limit.map(String.init)]
            )
            return result.rows.compactMap { row in
                guard let idText = row[0], let id = Int64(idText) else { return nil }
                return Product(id: id, name: row[1] ?? "", price: row[2] ?? "")
            }
        }
    }
}
