import DoormanCore
import DoormanPostgres

/// JSON exactly as the seed's Python server writes it:
/// `json.dumps(data, indent = 4, separators = (',', ': '))` followed by `\r\n`,
/// so clients of the seed see the same bytes. That means four-space
/// indentation, `", "`-free separators, and `ensure_ascii`: every non-ASCII
/// character escaped as `\uXXXX` (UTF-16, lowercase hex).
enum SeedJSON {
    /// `{"authenticated_by": …, "data": [ {product}, … ]}` plus `\r\n`.
    static func productsBody(authenticatedBy source: AuthSource, products: [Product]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(128 + products.count * 120)
        out += Array("{\n    \"authenticated_by\": ".utf8)
        appendString(source.serverName, to: &out)
        out += Array(",\n    \"data\": ".utf8)
        appendProducts(products, to: &out)
        out += Array("\n}\r\n".utf8)
        return out
    }

    /// `{"error": message}` plus `\r\n`, as the seed writes its failure.
    static func errorBody(_ message: String) -> [UInt8] {
        var out = Array("{\n    \"error\": ".utf8)
        appendString(message, to: &out)
        out += Array("\n}\r\n".utf8)
        return out
    }

    /// A flat object of string and integer members, indented the same way.
    static func object(_ members: [(String, JSONValue)]) -> [UInt8] {
        var out = Array("{".utf8)
        for (index, member) in members.enumerated() {
            out += Array((index == 0 ? "\n    " : ",\n    ").utf8)
            appendString(member.0, to: &out)
            out += Array(": ".utf8)
            switch member.1 {
            case .string(let text): appendString(text, to: &out)
            case .integer(let number): out += Array(String(number).utf8)
            case .number(let text): out += Array(text.utf8)
            }
        }
        out += Array((members.isEmpty ? "}\r\n" : "\n}\r\n").utf8)
        return out
    }

    enum JSONValue {
        case string(String)
        case integer(Int)
        /// A number already written as JSON (`0.41`).
        case number(String)
    }

    private static func appendProducts(_ products: [Product], to out: inout [UInt8]) {
        guard !products.isEmpty else {
            out += Array("[]".utf8)
            return
        }
        out += Array("[".utf8)
        for (index, product) in products.enumerated() {
            out += Array((index == 0 ? "\n        {\n            \"product_id\": " : ",\n        {\n            \"product_id\": ").utf8)
            appendString(String(product.id), to: &out)
            out += Array(",\n            \"product_name\": ".utf8)
            appendString(product.name, to: &out)
            out += Array(",\n            \"retail_price\": ".utf8)
            appendString(product.price, to: &out)
            out += Array("\n        }".utf8)
        }
        out += Array("\n    ]".utf8)
    }

    /// A JSON string with Python's `ensure_ascii` escaping.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += [0x5C, 0x22]                       // \"
            case 0x5C: out += [0x5C, 0x5C]                       // \\
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0x08: out += [0x5C, UInt8(ascii: "b")]
            case 0x0C: out += [0x5C, UInt8(ascii: "f")]
            case 0x20...0x7E: out.append(UInt8(unit))
            default:
                out += [0x5C, UInt8(ascii: "u")]
                for shift in [12, 8, 4, 0] {
                    let nibble = UInt8((unit >> UInt16(shift)) & 0xF)
                    out.append(nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
