import DoormanCore
@testable import DoormanRedis
import Testing

/// hiredis' formatter and reader as the TLS transport uses them: bytes only,
/// no server.
@Suite("RESP encoding and decoding")
struct RedisProtocolTests {
    @Test("commands are encoded as RESP arrays of bulk strings, binary-safe")
    func encode() throws {
        let encoded = try RedisCommandEncoder.encode([Array("SET".utf8), Array("k".utf8), [0, 13, 10, 255], []])
        #expect(encoded == Array("*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\n".utf8) + [0, 13, 10, 255] + Array("\r\n$0\r\n\r\n".utf8))
    }

    @Test("a reply fed one byte at a time comes out whole, only at its last byte")
    func byteByByte() throws {
        let reader = RedisReplyReader()
        let bytes = Array("*4\r\n$5\r\nhello\r\n:-42\r\n*2\r\n+OK\r\n$-1\r\n-ERR nope\r\n".utf8)
        for (index, byte) in bytes.enumerated() {
            try [byte].withUnsafeBytes { try reader.feed($0) }
            let reply = try reader.next()
            if index < bytes.count - 1 {
                #expect(reply == nil, "a reply after \(index + 1) of \(bytes.count) bytes")
            } else {
                #expect(reply == .array([.string(Array("hello".utf8)), .integer(-42), .array([.status("OK"), .null]), .error("ERR nope")]))
            }
        }
        #expect(try reader.next() == nil)
    }

    @Test("two replies in one read come out one after the other; a bulk string may hold CRLF and NUL")
    func twoInOneRead() throws {
        let reader = RedisReplyReader()
        let bytes = Array("$4\r\na\r\n\0\r\n+PONG\r\n$3\r\nab".utf8)
        try bytes.withUnsafeBytes { try reader.feed($0) }
        #expect(try reader.next() == .string([UInt8(ascii: "a"), 13, 10, 0]))
        #expect(try reader.next() == .status("PONG"))
        #expect(try reader.next() == nil)
        try Array("c\r\n".utf8).withUnsafeBytes { try reader.feed($0) }
        #expect(try reader.next() == .string(Array("abc".utf8)))
    }

    @Test("bytes that are not RESP are a protocol error")
    func protocolError() throws {
        let reader = RedisReplyReader()
        try Array("\u{16}\u{03}\u{01}garbage\r\n".utf8).withUnsafeBytes { try reader.feed($0) }
        do {
            _ = try reader.next()
            Issue.record("garbage was accepted")
        } catch let error as DoormanError {
            #expect(error.kind == .unavailable)
            #expect(error.message.hasPrefix("Redis: protocol error: "))
        }
    }

    /// Found by `make fuzz` (resp-reader): hiredis allocates an array's element
    /// pointers when it reads the header, so 14 bytes asked for 16 GiB.
    @Test("an array header announcing 2^31 - 1 elements is a protocol error, not a 16 GiB allocation", arguments: [
        Array("*2147483647\r\n".utf8),
        // The fuzzer's input, as it found it (without its first byte, the chunking seed).
        Array("*2\r\n*2\r\n:2\r\n*1\r\n*4\r\n+P*2\r\n*1\r\n*2147483647\r\nDou+0<+ON\r\n".utf8),
    ])
    func hugeArrayHeader(bytes: [UInt8]) throws {
        let reader = RedisReplyReader()
        try bytes.withUnsafeBytes { try reader.feed($0) }
        do {
            let reply = try reader.next()
            Issue.record("no protocol error; reply: \(String(describing: reply))")
        } catch let error as DoormanError {
            #expect(error.kind == .unavailable)
            #expect(error.message == "Redis: protocol error: a reply announces more than \(RedisReplyReader.defaultMaxElementsPerReply) array elements")
        }
    }

    @Test("the element bound counts nested arrays towards their reply and starts again with each reply")
    func elementBudget() throws {
        let reader = RedisReplyReader(maxElementsPerReply: 10)
        // 2 + 2 + 6 = 10 elements: allowed, twice in a row.
        let ten = Array("*2\r\n:1\r\n*2\r\n:2\r\n*6\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n".utf8)
        let expected = RedisReply.array([.integer(1), .array([.integer(2), .array((1...6).map { .integer($0) })])])
        for _ in 0..<2 {
            try ten.withUnsafeBytes { try reader.feed($0) }
            #expect(try reader.next() == expected)
        }
        // 2 + 6 + 6 = 14: refused as soon as the second inner header arrives.
        try Array("*2\r\n*6\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n*6\r\n".utf8).withUnsafeBytes { try reader.feed($0) }
        #expect(throws: DoormanError.self) { try reader.next() }
    }

    @Test("host names and IP literals are told apart for certificate checks (an IP is checked against the certificate's IP SANs, not sent as SNI)", arguments: [
        ("localhost", false), ("cache.example.com", false), ("127.0.0.1", true), ("10.1.2.3", true),
        ("::1", true), ("2001:db8::7", true), ("1.2.3", false), ("256.1.1.1", false),
    ])
    func peerNames(host: String, isIPAddress: Bool) {
        #expect(host.isIPAddress == isIPAddress)
    }
}
