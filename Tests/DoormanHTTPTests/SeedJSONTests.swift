@testable import DoormanHTTP
import DoormanCore
import DoormanPostgres
import Testing

@Suite("JSON byte-for-byte as the seed's Python server writes it")
struct SeedJSONTests {
    // Expected bytes printed by Python 3.11:
    //   json.dumps(data, indent = 4, separators = (',', ': ')) + '\r\n'
    @Test("products, with Python's ensure_ascii escapes (CJK, emoji, quotes, controls, DEL)")
    func products() {
        let products = [
            Product(id: 1, name: "1L FOUNTAIN DRINKING WATER", price: "2.55"),
            Product(id: 9, name: "緑茶 \"GREEN\" TEA\\ 🍕 CRÈME\t\u{7f}\u{1}", price: "2.10"),
        ]
        let expected = "{\n    \"authenticated_by\": \"Redis Server\",\n    \"data\": [\n        {\n            \"product_id\": \"1\",\n            \"product_name\": \"1L FOUNTAIN DRINKING WATER\",\n            \"retail_price\": \"2.55\"\n        },\n        {\n            \"product_id\": \"9\",\n            \"product_name\": \"\\u7dd1\\u8336 \\\"GREEN\\\" TEA\\\\ \\ud83c\\udf55 CR\\u00c8ME\\t\\u007f\\u0001\",\n            \"retail_price\": \"2.10\"\n        }\n    ]\n}\r\n"
        #expect(String(decoding: SeedJSON.productsBody(authenticatedBy: .redis, products: products), as: UTF8.self) == expected)
    }

    @Test("no products")
    func empty() {
        let expected = "{\n    \"authenticated_by\": \"PostgreSQL Server\",\n    \"data\": []\n}\r\n"
        #expect(String(decoding: SeedJSON.productsBody(authenticatedBy: .postgres, products: []), as: UTF8.self) == expected)
    }

    @Test("the error body")
    func error() {
        #expect(String(decoding: SeedJSON.errorBody("Authentication failed."), as: UTF8.self) == "{\n    \"error\": \"Authentication failed.\"\n}\r\n")
    }
}
