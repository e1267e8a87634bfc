import DoormanCore

extension PostgresGateway {
    /// Products in `product_id` order: all of them, or with `limit` a page of
    /// those whose id is greater than `after` (keyset paging).
    public func products(limit: Int? = nil, after: Int64? = nil, deadline: ContinuousClock.Instant? = nil) async throws -> [Product] {
        try await withConnection(deadline: deadline) { connection, deadline in
            let result = try await connection.query(
                """
                SELECT product_id, product_name, retail_price FROM products
                WHERE $1::bigint IS NULL OR product_id > $1::bigint
                ORDER BY product_id
                LIMIT $2::bigint
                """,
                [after.map(String.init), limit.map(String.init)], deadline: deadline
            )
            return result.rows.compactMap { row in
                guard let idText = row[0], let id = Int64(idText) else { return nil }
                return Product(id: id, name: row[1] ?? "", price: row[2] ?? "")
            }
        }
    }
}
