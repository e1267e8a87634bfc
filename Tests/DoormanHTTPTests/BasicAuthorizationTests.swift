import DoormanCore
import DoormanHTTP
import Testing

@Suite("Basic credentials (RFC 7617)")
struct BasicAuthorizationTests {
    @Test("well-formed headers", arguments: [
        ("Basic am9obl9kb2U6RVhBTVBMRV9QQVNTV09SRA==", "john_doe", "EXAMPLE_PASSWORD"),
        ("basic am9obl9kb2U6RVhBTVBMRV9QQVNTV09SRA==", "john_doe", "EXAMPLE_PASSWORD"),
        ("BASIC   am9obl9kb2U6RVhBTVBMRV9QQVNTV09SRA==  ", "john_doe", "EXAMPLE_PASSWORD"),
        ("Basic dXNlcjpwYTpzczp3b3Jk", "user", "pa:ss:word"),
        ("Basic em/DqzpwYXNzd8O2cmQ=", "zoë", "passwörd"),
    ])
    func accepted(header: String, username: String, password: String) throws {
        let credentials = try #require(BasicAuthorization.parse(header))
        #expect(credentials.username == username)
        #expect(credentials.password == password)
    }

    @Test("malformed headers, each for its reason", arguments: [
        (nil, BasicAuthorization.Failure.missing),
        ("", .missing),
        ("Bearer abc", .notBasic),
        ("Basicam9obg==", .notBasic),
        ("Basic", .notBasic),
        ("Digest username=\"x\"", .notBasic),
        ("Basic !!!", .badBase64),
        ("Basic am9obl9kb2U6RVhBTVBMRV9QQVNTV09SRA", .badBase64),  // padding missing
        ("Basic am9o=bl9k", .badBase64),
        ("Basic ====", .badBase64),
        ("Basic YR==", .badBase64),  // non-zero trailing bits
        ("Basic " + Base64.encode([0x61, 0x3A, 0xC3, 0x28]), .notUTF8),
        ("Basic " + Base64.encode(Array("nocolon".utf8)), .noColon),
        ("Basic " + Base64.encode(Array(":password".utf8)), .invalidCredentials),
        ("Basic " + Base64.encode(Array("user:".utf8)), .invalidCredentials),
        ("Basic " + Base64.encode(Array("us\u{0}er:pw".utf8)), .invalidCredentials),
        ("Basic " + Base64.encode(Array("user:p\u{7}w".utf8)), .invalidCredentials),
        ("Basic " + Base64.encode(Array(("user:" + String(repeating: "x", count: 73)).utf8)), .invalidCredentials),
        ("Basic " + String(repeating: "QUFB", count: 300), .badBase64),
    ] as [(String?, BasicAuthorization.Failure)])
    func refused(header: String?, reason: BasicAuthorization.Failure) {
        #expect(BasicAuthorization.parseExplained(header) == .failure(reason))
        #expect(BasicAuthorization.parse(header) == nil)
    }

    @Test("property: header(username:password:) round-trips for random valid credentials")
    func roundTrip() throws {
        var generator = SplitMix64(seed: 7242)
        let alphabet = Array("abcXYZ019_-.:!@ éü緑🍕\"\\'")
        for _ in 0..<2_000 {
            let username = String((0..<Int.random(in: 1...20, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
                .replacingOccurrences(of: ":", with: "_")
            var password = String((0..<Int.random(in: 1...30, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            while password.utf8.count > 72 { password.removeLast() }
            guard (try? Credentials(username: username, password: password)) != nil else { continue }
            let parsed = try #require(BasicAuthorization.parse(BasicAuthorization.header(username: username, password: password)))
            #expect(parsed.username == username && parsed.password == password)
        }
    }

    @Test("fuzz: random bytes and mutated headers never crash, and never yield invalid credentials")
    func fuzz() {
        var generator = SplitMix64(seed: 20261129)
        let seeds = ["Basic am9obl9kb2U6RVhBTVBMRV9QQVNTV09SRA==", "basic dXNlcjpwYTpzczp3b3Jk", "Basic ", "Bearer x"]
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...80, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            } else {
                bytes = Array(seeds[round % seeds.count].utf8)
                for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                    let index = Int.random(in: 0..<bytes.count, using: &generator)
                    switch Int.random(in: 0...2, using: &generator) {
                    case 0: bytes[index] = UInt8.random(in: 0...255, using: &generator)
                    case 1: bytes.remove(at: index)
                    default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: index)
                    }
                }
            }
            let header = String(decoding: bytes, as: UTF8.self)
            if let credentials = BasicAuthorization.parse(header) {
                #expect((try? Credentials(username: credentials.username, password: credentials.password)) != nil)
                #expect(!credentials.username.contains(":"))
            }
        }
    }

    @Test("base64 round-trips every length")
    func base64() {
        var generator = SplitMix64(seed: 1)
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64.encode(bytes)
            #expect(encoded.count == (length + 2) / 3 * 4)
            if length > 0 { #expect(Base64.decode(Array(encoded.utf8)) == bytes) }
        }
    }
}

/// A small deterministic generator, so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
