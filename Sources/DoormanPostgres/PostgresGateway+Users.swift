import DoormanCore

/// A user's stored hash and its version (from `doorman_password_version_seq`:
/// every change of the hash gets a higher one).
public struct PasswordRecord: Sendable, Equatable {
    /// The bcrypt hash (`pwd`).
    public var hash: String
    /// `pwd_version`.
    public var version: Int64

    /// Creates a record.
    public init(hash: String, version: Int64) {
        self.hash = hash
        self.version = version
    }
}

/// One row of `doorman_user_changes`: a user's password or name changed, or
/// the user was deleted (`username == nil`: every user, after TRUNCATE).
public struct UserChange: Sendable, Equatable {
    /// The row's id, increasing.
    public var id: Int64
    /// The user, or `nil` for all users.
    public var username: String?
    /// Cached entries with a lower version are stale.
    public var version: Int64

    /// Creates a change.
    public init(id: Int64, username: String?, version: Int64) {
        self.id = id
        self.username = username
        self.version = version
    }
}

extension PostgresGateway {
    /// The bcrypt hash stored for `username`, or `nil` when there is no such user.
    public func passwordHash(for username: String, deadline: ContinuousClock.Instant? = nil) async throws -> String? {
        try await passwordRecord(for: username, deadline: deadline)?.hash
    }

    /// The hash and its version for `username`, or `nil` when there is no such user.
    public func passwordRecord(for username: String, deadline: ContinuousClock.Instant? = nil) async throws -> PasswordRecord? {
        try await withConnection(deadline: deadline) { connection, deadline in
            let result: PostgresRows
            do {
                result = try await connection.query("SELECT pwd, pwd_version FROM users WHERE username = $1 LIMIT 1", [username], deadline: deadline)
            } catch let error as DoormanError where error.message.contains("SQLSTATE 42703") {
                throw DoormanError(.database, "the database lacks Doorman's schema (users.pwd_version); run 'doorman db init'")
            }
            var rows = result.rows
            if rows.isEmpty, !username.utf8.allSatisfy({ $0 < 0x80 }) {
                // A row stored in another normal form (NFD by plain SQL) is
                // the same user: compare after NFC, as the login did (indexed
                // by sql/006). Needs a UTF8 database; elsewhere no row matches.
                do {
                    rows = try await connection.query(
                        "SELECT pwd, pwd_version FROM users WHERE normalize(username, NFC) = $1 ORDER BY username LIMIT 1",
                        [username], deadline: deadline).rows
                } catch let error as DoormanError where error.kind == .database {
                    rows = []
                }
            }
            guard let row = rows.first, let hash = row[0], let version = row[1].flatMap({ Int64($0) }) else { return nil }
            return PasswordRecord(hash: hash, version: version)
        }
    }

    /// Changes recorded in the last `window` (oldest first).
    public func userChanges(within window: Duration, deadline: ContinuousClock.Instant? = nil) async throws -> [UserChange] {
        try await withConnection(deadline: deadline) { connection, deadline in
            try await connection.query(
                "SELECT change_id, username, version FROM doorman_user_changes WHERE changed_at > now() - make_interval(secs => $1::double precision) ORDER BY change_id",
                [String(window.components.seconds + 1)], deadline: deadline
            ).rows.compactMap(UserChange.init(row:))
        }
    }

    /// Changes recorded after the change `id` (oldest first, at most `limit`), for polling
    /// while no listener hears notifications.
    public func userChanges(after id: Int64, limit: Int = 1_000, deadline: ContinuousClock.Instant? = nil) async throws -> [UserChange] {
        try await withConnection(deadline: deadline) { connection, deadline in
            try await connection.query(
                "SELECT change_id, username, version FROM doorman_user_changes WHERE change_id > $1::bigint ORDER BY change_id LIMIT $2::bigint",
                [String(id), String(limit)], deadline: deadline
            ).rows.compactMap(UserChange.init(row:))
        }
    }

    /// The id of the latest recorded change (0 when there is none): where polling starts.
    public func latestChangeID(deadline: ContinuousClock.Instant? = nil) async throws -> Int64 {
        try await withConnection(deadline: deadline) { connection, deadline in
            let rows = try await connection.query("SELECT coalesce(max(change_id), 0) FROM doorman_user_changes", deadline: deadline).rows
            return rows.first?.first.flatMap { $0 }.flatMap { Int64($0) } ?? 0
        }
    }

    /// Removes changes older than `age` (they concern entries that have expired).
    @discardableResult
    public func pruneUserChanges(olderThan age: Duration, deadline: ContinuousClock.Instant? = nil) async throws -> Int {
        try await withConnection(deadline: deadline) { connection, deadline in
            try await connection.query(
                "DELETE FROM doorman_user_changes WHERE changed_at < now() - make_interval(secs => $1::double precision)",
                [String(age.components.seconds)], deadline: deadline
            ).affectedRows
        }
    }

    /// The key that signs cached entries, from `doorman_secrets`.
    public func cacheSigningKey(deadline: ContinuousClock.Instant? = nil) async throws -> [UInt8] {
        try await withConnection(deadline: deadline) { connection, deadline in
            let rows = try await connection.query("SELECT encode(value, 'hex') FROM doorman_secrets WHERE name = 'cache_hmac_key'", deadline: deadline).rows
            guard let hex = rows.first?.first ?? nil, let key = Self.bytes(fromHex: hex), key.count >= 32 else {
                throw DoormanError(.database, "the database has no cache signing key (doorman_secrets); run 'doorman db init'")
            }
            return key
        }
    }

    static func bytes(fromHex hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
            index += 2
        }
        return bytes
    }

    /// Adds a user with an already computed bcrypt hash.
    /// Throws `.invalidInput` if the username is taken.
    public func addUser(_ username: String, passwordHash: String, deadline: ContinuousClock.Instant? = nil) async throws {
        try await withConnection(deadline: deadline, retryOnLostConnection: false) { connection, deadline in
            try await connection.transaction(deadline: deadline) {
                let existing = try await connection.query("SELECT 1 FROM users WHERE username = $1", [username], deadline: deadline)
                guard existing.rows.isEmpty else {
                    throw DoormanError(.invalidInput, "user '\(username)' already exists")
                }
                try await connection.query("INSERT INTO users (username, pwd) VALUES ($1, $2)", [username, passwordHash], deadline: deadline)
            }
        }
    }

    /// Replaces a user's hash. Throws `.notFound` for an unknown user.
    public func setPasswordHash(_ passwordHash: String, for username: String, deadline: ContinuousClock.Instant? = nil) async throws {
        let updated = try await withConnection(deadline: deadline, retryOnLostConnection: false) { connection, deadline in
            try await connection.query("UPDATE users SET pwd = $2 WHERE username = $1", [username, passwordHash], deadline: deadline).affectedRows
        }
        guard updated > 0 else { throw DoormanError(.notFound, "no user named '\(username)'") }
    }

    /// The bcrypt cost most users' hashes have, or `nil` when there are none.
    public func mostCommonHashCost(deadline: ContinuousClock.Instant? = nil) async throws -> Int? {
        let rows = try await withConnection(deadline: deadline) { connection, deadline in
            try await connection.query("""
                SELECT cost FROM (SELECT substring(pwd FROM '^\\$2[abxy]?\\$([0-9][0-9])\\$')::int AS cost FROM users) AS hashes
                WHERE cost IS NOT NULL GROUP BY cost ORDER BY count(*) DESC, cost DESC LIMIT 1
                """, deadline: deadline).rows
        }
        guard let first = rows.first, let text = first.first ?? nil else { return nil }
        return Int(text)
    }

    /// Replaces `username`'s hash by `new` only if it is still `old`; `true`
    /// when it was replaced. A role without UPDATE permission throws a
    /// `.database` error naming SQLSTATE 42501.
    public func replacePasswordHash(for username: String, old: String, new: String, deadline: ContinuousClock.Instant? = nil) async throws -> Bool {
        try await withConnection(deadline: deadline, retryOnLostConnection: false) { connection, deadline in
            try await connection.query("UPDATE users SET pwd = $3 WHERE username = $1 AND pwd = $2", [username, old, new], deadline: deadline).affectedRows > 0
        }
    }

    /// Deletes a user. Throws `.notFound` for an unknown user.
    public func deleteUser(_ username: String, deadline: ContinuousClock.Instant? = nil) async throws {
        let deleted = try await withConnection(deadline: deadline, retryOnLostConnection: false) { connection, deadline in
            try await connection.query("DELETE FROM users WHERE username = $1", [username], deadline: deadline).affectedRows
        }
        guard deleted > 0 else { throw DoormanError(.notFound, "no user named '\(username)'") }
    }

    /// Up to `limit` users with their password version (`users.pwd_version`),
    /// sorted by name; never a hash. For the UI's cache and users views.
    public func passwordVersions(limit: Int = 10_000, deadline: ContinuousClock.Instant? = nil) async throws -> [(username: String, version: Int64)] {
        try await withConnection(deadline: deadline) { connection, deadline in
            try await connection.query("SELECT username, pwd_version FROM users ORDER BY username LIMIT $1", [String(max(0, limit))], deadline: deadline)
                .rows.compactMap { row in
                    guard row.count == 2, let name = row[0], let version = row[1].flatMap({ Int64($0) }) else { return nil }
                    return (name, version)
                }
        }
    }

    /// All usernames, sorted.
    public func usernames(deadline: ContinuousClock.Instant? = nil) async throws -> [String] {
        try await withConnection(deadline: deadline) { connection, deadline in
            try await connection.query("SELECT username FROM users ORDER BY username", deadline: deadline).rows.compactMap { $0.first ?? nil }
        }
    }
}

extension UserChange {
    init?(row: [String?]) {
        guard row.count == 3, let id = row[0].flatMap({ Int64($0) }), let version = row[2].flatMap({ Int64($0) }) else { return nil }
        self.init(id: id, username: row[1], version: version)
    }

    /// Parses a `NOTIFY doorman_user_changes` payload: `<version>:<username>`,
    /// or `<version>:*` for every user.
    public init?(notification payload: String) {
        guard let colon = payload.firstIndex(of: ":"), let version = Int64(payload[..<colon]) else { return nil }
        let name = String(payload[payload.index(after: colon)...])
        self.init(id: 0, username: name == "*" ? nil : name, version: version)
    }
}
