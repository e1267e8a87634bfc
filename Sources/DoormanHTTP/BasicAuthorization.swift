import DoormanCore

/// Parses an HTTP `Authorization` header with the Basic scheme (RFC 7617).
///
/// - The scheme name is case-insensitive (`Basic`, `basic`, `BASIC`).
/// - The credentials are standard base64 (RFC 4648 §4, padding required),
///   decoded strictly: any other character is refused.
/// - The decoded text must be valid UTF-8 and is split at the *first* colon,
///   so a password may contain colons; a username cannot.
/// - The result must pass ``Credentials``: no empty parts, no control
///   characters (NUL included), a password of at most 72 bytes.
///
/// Every failure is the same `nil` to callers that answer with one uniform 401;
/// ``parseExplained(_:)`` says why, for tests and debug logs.
public enum BasicAuthorization {
    /// Why a header was refused (never shown to clients).
    public enum Failure: Error, Equatable, Sendable {
        case missing, notBasic, badBase64, notUTF8, noColon, invalidCredentials
    }

    /// The largest header value looked at; longer ones are refused unread.
    static let maxHeaderLength = 1_024

    /// The credentials in `header`, or `nil` for any malformed header.
    public static func parse(_ header: String?) -> Credentials? {
        try? parseExplained(header).get()
    }

    /// Like ``parse(_:)``, with the reason for a refusal.
    public static func parseExplained(_ header: String?) -> Result<Credentials, Failure> {
        guard let header, !header.isEmpty else { return .failure(.missing) }
        let bytes = Array(header.utf8)
        guard bytes.count <= maxHeaderLength else { return .failure(.badBase64) }
        // "Basic" 1*SP token68, with optional surrounding whitespace.
        var index = 0
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        let scheme = Array("basic".utf8)
        guard bytes.count >= index + scheme.count,
              zip(bytes[index..<(index + scheme.count)], scheme).allSatisfy({ lowercase($0) == $1 }) else {
            return .failure(.notBasic)
        }
        index += scheme.count
        guard index < bytes.count, bytes[index] == 0x20 else { return .failure(.notBasic) }
        while index < bytes.count, bytes[index] == 0x20 { index += 1 }
        var end = bytes.count
        while end > index, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        guard let decoded = Base64.decode(bytes[index..<end]) else { return .failure(.badBase64) }
        guard let text = String(validating: decoded, as: UTF8.self) else { return .failure(.notUTF8) }
        guard let colon = text.firstIndex(of: ":") else { return .failure(.noColon) }
        let username = String(text[..<colon])
        let password = String(text[text.index(after: colon)...])
        guard let credentials = try? Credentials(username: username, password: password) else {
            return .failure(.invalidCredentials)
        }
        return .success(credentials)
    }

    /// The header value for `username` and `password`: `Basic <base64>`.
    public static func header(username: String, password: String) -> String {
        "Basic " + Base64.encode(Array("\(username):\(password)".utf8))
    }

    private static func lowercase(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
    }
}

/// Standard base64 (RFC 4648 §4), strict.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// Encodes with padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        var output = [UInt8]()
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { output.append(alphabet[Int((chunk >> UInt32(shift)) & 0x3F)]) }
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            var chunk = UInt32(bytes[index]) << 16
            if rest == 2 { chunk |= UInt32(bytes[index + 1]) << 8 }
            output.append(alphabet[Int((chunk >> 18) & 0x3F)])
            output.append(alphabet[Int((chunk >> 12) & 0x3F)])
            output.append(rest == 2 ? alphabet[Int((chunk >> 6) & 0x3F)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes padded base64; `nil` for a wrong length, a character outside
    /// the alphabet, misplaced padding, or non-zero trailing bits.
    public static func decode<Bytes: Collection>(_ input: Bytes) -> [UInt8]? where Bytes.Element == UInt8 {
        let bytes = Array(input)
        guard !bytes.isEmpty, bytes.count % 4 == 0 else { return nil }
        var padding = 0
        if bytes[bytes.count - 1] == UInt8(ascii: "=") { padding += 1 }
        if bytes[bytes.count - 2] == UInt8(ascii: "=") { padding += 1 }
        var output = [UInt8]()
        output.reserveCapacity(bytes.count / 4 * 3)
        var index = 0
        while index < bytes.count {
            var chunk: UInt32 = 0
            let last = index + 4 == bytes.count
            for offset in 0..<4 {
                let byte = bytes[index + offset]
                if last && offset >= 4 - padding {
                    guard byte == UInt8(ascii: "=") else { return nil }
                    chunk <<= 6
                    continue
                }
                let value = values[Int(byte)]
                guard value != 0xFF else { return nil }
                chunk = chunk << 6 | UInt32(value)
            }
            output.append(UInt8((chunk >> 16) & 0xFF))
            if !(last && padding == 2) { output.append(UInt8((chunk >> 8) & 0xFF)) }
            if !(last && padding >= 1) { output.append(UInt8(chunk & 0xFF)) }
            if last {
                // Bits beyond the encoded bytes must be zero (canonical encoding).
                if padding == 2 && (chunk & 0xFFFF) != 0 { return nil }
                if padding == 1 && (chunk & 0xFF) != 0 { return nil }
            }
            index += 4
        }
        return output
    }
}
