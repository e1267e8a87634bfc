import DoormanCore
import DoormanPasswords
import DoormanPostgres

/// What Doorman stores in Redis for a user: the bcrypt hash from PostgreSQL,
/// its version, when the entry stops being valid, and an HMAC-SHA-256 over
/// all of them and the username, with a key Redis never sees (it lives in
/// PostgreSQL's `doorman_secrets`).
///
/// Stored as `v1|<version>|<expires unix seconds>|<hash>|<hmac hex>` (the
/// bcrypt alphabet has no `|`). Someone who can write to Redis but not read
/// the key cannot make an entry that authenticates anyone, cannot stretch an
/// entry's life past its signed expiry, and cannot move an entry to another
/// user; an old entry replayed after a password change is refused by its
/// version (see ``CacheFreshness``).
public struct CacheEntry: Sendable, Equatable {
    /// The user's bcrypt hash.
    public var hash: String
    /// `users.pwd_version` of that hash.
    public var version: Int64
    /// Unix time (seconds) after which the entry is refused, whatever Redis' TTL says.
    public var expiresAt: Int64

    /// Creates an entry.
    public init(hash: String, version: Int64, expiresAt: Int64) {
        self.hash = hash
        self.version = version
        self.expiresAt = expiresAt
    }

    /// The entry for a record read from PostgreSQL, valid for `ttl` from `now`.
    public init(record: PasswordRecord, ttl: Duration, now: Int64) {
        self.init(hash: record.hash, version: record.version, expiresAt: now + max(1, ttl.components.seconds))
    }

    /// The signed text stored in Redis.
    public func encoded(for username: String, key: [UInt8]) -> String {
        "v1|\(version)|\(expiresAt)|\(hash)|" + Digest.hex(Self.mac(username: username, version: version, expiresAt: expiresAt, hash: hash, key: key))
    }

    /// Parses and checks a stored entry: `nil` unless it is well formed, its
    /// signature is right for `username` under `key`, and it has not expired.
    public static func decode(_ text: String, for username: String, key: [UInt8], now: Int64) -> CacheEntry? {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "v1",
              let version = Int64(parts[1]), let expiresAt = Int64(parts[2]),
              let mac = Digest.unhex(String(parts[4])), mac.count == 32 else { return nil }
        let hash = String(parts[3])
        guard Digest.constantTimeEquals(mac, Self.mac(username: username, version: version, expiresAt: expiresAt, hash: hash, key: key)),
              expiresAt > now else { return nil }
        return CacheEntry(hash: hash, version: version, expiresAt: expiresAt)
    }

    /// The version an encoded entry claims, unchecked (for housekeeping only,
    /// never to authenticate); `nil` if it is not an entry at all.
    static func version(of text: String) -> Int64? {
        let parts = text.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1" else { return nil }
        return Int64(parts[1])
    }

    private static func mac(username: String, version: Int64, expiresAt: Int64, hash: String, key: [UInt8]) -> [UInt8] {
        var message = Array("doorman-cache-v1".utf8)
        for field in [username, String(version), String(expiresAt), hash] {
            message.append(0)
            message += Array(field.utf8)
        }
        return Digest.hmacSHA256(key: key, message: message)
    }
}
