import DoormanCore
import DoormanPasswords
import Testing

@Suite("bcrypt on libxcrypt")
struct BCryptTests {
    @Test("hash then verify; a wrong password does not verify")
    func roundTrip() throws {
        let hash = try BCrypt.hash("correct horse", cost: 4)
        #expect(hash.hasPrefix("$2a$04$"))
        #expect(hash.count == 60)
        #expect(BCrypt.verify("correct horse", against: hash))
        #expect(!BCrypt.verify("correct horsf", against: hash))
        #expect(!BCrypt.verify("", against: hash))
        #expect(try BCrypt.hash("correct horse", cost: 4) != hash, "a new salt each time")
    }

    @Test("$2b$ and $2y$ hashes verify like $2a$")
    func prefixes() throws {
        let hash = try BCrypt.hash("prefix test", cost: 4)
        for prefix in ["$2b$", "$2y$"] {
            let variant = prefix + hash.dropFirst(4)
            #expect(BCrypt.verify("prefix test", against: String(variant)))
        }
    }

    @Test("malformed hashes never verify", arguments: [
        "", "plaintext", "$2a$04$short", "$1$abcdefgh$abcdefghijklmnopqrstuv", "*0",
        "$2x$04$" + String(repeating: "a", count: 53), "$2a$4$" + String(repeating: "a", count: 54),
        "$2a$04$" + String(repeating: "!", count: 53),
    ])
    func malformed(hash: String) {
        #expect(!BCrypt.verify("anything", against: hash))
    }

    @Test("a password with NUL never verifies")
    func nul() throws {
        let hash = try BCrypt.hash("abc", cost: 4)
        #expect(!BCrypt.verify("abc\u{0}def", against: hash))
    }

    @Test("the dummy hash is a real cost-10 hash")
    func dummy() {
        #expect(BCrypt.isBcryptHash(BCrypt.dummyHash))
        #expect(BCrypt.cost(of: BCrypt.dummyHash) == 10)
        #expect(!BCrypt.verify("", against: BCrypt.dummyHash))
        #expect(!BCrypt.verify("EXAMPLE_PASSWORD", against: BCrypt.dummyHash))
    }

    @Test("cost out of range and over-long passwords are refused")
    func refusals() {
        #expect(throws: DoormanError.self) { try BCrypt.hash("x", cost: 3) }
        #expect(throws: DoormanError.self) { try BCrypt.hash("x", cost: 32) }
        #expect(throws: DoormanError.self) { try BCrypt.hash(String(repeating: "x", count: 73), cost: 4) }
    }

    @Test("constant-time comparison")
    func constantTime() {
        #expect(BCrypt.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!BCrypt.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!BCrypt.constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(BCrypt.constantTimeEquals([], []))
    }
}

@Suite("SHA-256 and HMAC-SHA-256 (libcrypto)")
struct DigestTests {
    @Test("RFC 4231 test case 2 and an RFC 6234 SHA-256 vector")
    func vectors() {
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Digest.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(Digest.hex(Digest.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("hex round trip and refusals; constant-time compare; random bytes differ")
    func helpers() {
        #expect(Digest.unhex("00ff10Ab") == [0, 255, 16, 171])
        #expect(Digest.unhex("abc") == nil)
        #expect(Digest.unhex("zz") == nil)
        #expect(Digest.constantTimeEquals([1, 2], [1, 2]))
        #expect(!Digest.constantTimeEquals([1, 2], [1, 3]))
        #expect(Digest.randomBytes(32) != Digest.randomBytes(32))
    }
}
