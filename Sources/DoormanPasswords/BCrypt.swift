internal import CCrypt
import Foundation
import DoormanCore

/// bcrypt password hashing and verification on libxcrypt.
///
/// Verification accepts any cost and the `$2a$`, `$2b$` and `$2y$` prefixes.
/// New hashes use `$2a$`, because PostgreSQL 15's pgcrypto cannot read `$2b$`
/// hashes and both sides must be able to check every hash Doorman writes.
public enum BCrypt {
    /// The cost of hashes Doorman creates (2^10 rounds, about 46 ms here).
    public static let defaultCost = 10

    /// A hash of a random, discarded password at ``defaultCost``. An unknown
    /// user is checked against it so that it costs the same bcrypt time as a
    /// known one.
    public static let dummyHash = "$2a$10$OpCUPF6A5DOMsUyTW.ieoe/YeEiDOFD92PbTUZpQvapzCnOYGRMUS"

    /// Checks `password` against a bcrypt `hash`.
    ///
    /// Wraps `crypt_rn` with a fresh, zeroed `struct crypt_data` per call (so
    /// it is safe on any thread) and compares in constant time. Any failure
    /// (a malformed hash, an unsupported prefix, a password with NUL bytes)
    /// means "no".
    public static func verify(_ password: String, against hash: String) -> Bool {
        guard isBcryptHash(hash), !password.utf8.contains(0) else { return false }
        guard let computed = crypt(password, setting: hash) else { return false }
        return constantTimeEquals(Array(computed.utf8), Array(hash.utf8))
    }

    /// Hashes `password` with a new random `$2a$` salt at `cost` (4...31).
    ///
    /// Wraps `crypt_gensalt_rn` (salt from the kernel's random source) and
    /// `crypt_rn`.
    public static func hash(_ password: String, cost: Int = defaultCost) throws -> String {
        guard (4...31).contains(cost) else {
            throw DoormanError(.invalidInput, "bcrypt cost must be between 4 and 31, not \(cost)")
        }
        try Credentials.validate(password: password)
        var salt = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        guard crypt_gensalt_rn("$2a$", UInt(cost), nil, 0, &salt, Int32(salt.count)) != nil,
              salt[0] == UInt8(ascii: "$") else {
            throw DoormanError(.invalidInput, "libxcrypt could not make a bcrypt salt")
        }
        let setting = String(decoding: salt.prefix(while: { $0 != 0 }).map(UInt8.init(bitPattern:)), as: UTF8.self)
        guard let hashed = crypt(password, setting: setting) else {
            throw DoormanError(.invalidInput, "libxcrypt could not hash the password")
        }
        return hashed
    }

    /// The cost recorded in a bcrypt hash, or `nil` if it is not one.
    public static func cost(of hash: String) -> Int? {
        guard isBcryptHash(hash) else { return nil }
        let bytes = Array(hash.utf8)
        return Int(bytes[4] - 48) * 10 + Int(bytes[5] - 48)
    }

    /// `true` if `hash` has the shape `$2a$NN$` + 53 characters of bcrypt's base64.
    public static func isBcryptHash(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
              bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
              (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[4]),
              (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[5]) else { return false }
        return bytes[7...].allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/")
        }
    }

    /// Compares two byte strings in time that depends only on their lengths.
    public static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }

    /// Wraps `crypt_rn`; `nil` on any failure (libxcrypt returns NULL or a
    /// string starting with `*`).
    private static func crypt(_ phrase: String, setting: String) -> String? {
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        let size = MemoryLayout<crypt_data>.size
        UnsafeMutableRawPointer(data).initializeMemory(as: UInt8.self, repeating: 0, count: size)
        defer {
            // Wipe the copy of the password and intermediate state before freeing.
            UnsafeMutableRawPointer(data).initializeMemory(as: UInt8.self, repeating: 0, count: size)
            data.deallocate()
        }
        guard let result = crypt_rn(phrase, setting, data, Int32(size)), result.pointee != CChar(UInt8(ascii: "*")) else {
            return nil
        }
        return String(cString: result)
    }
}
