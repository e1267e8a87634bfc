import DoormanCore

extension PostgresGateway {
    /// The bcrypt hash stored for `username`, or `nil` when there is no such user.
    public func passwordHash(for username: String) throws -> String? {
        try withConnection { connection in
            let result = try connection.query("SELECT pwd FROM users WHERE username = $1 LIMIT 1", [username])
            return result.rows.first?.first ?? nil
        }
    }

    /// Adds a user with an already computed bcrypt hash.
    /// Throws `.invalidInput` if the username is taken.
    public func addUser(_ username: String, passwordHash: String) throws {
        try withConnection(retryOnLostConnection: false) { connection in
            try connection.transaction {
                let existing = try connection.query("SELECT 1 FROM users WHERE username = $1", [username])
                guard existing.rows.isEmpty else {
                    throw DoormanError(.invalidInput, "user '\(username)' already exists")
                }
                try connection.query("INSERT INTO users (username, pwd) VALUES ($1, $2)", [username, passwordHash])
            }
        }
    }

    /// Replaces a user's hash. Throws `.notFound` for an unknown user.
    public func setPasswordHash(_ passwordHash: String, for username: String) throws {
        let updated = try withConnection(retryOnLostConnection: false) { connection in
            try connection.query("UPDATE users SET pwd = $2 WHERE username = $1", [username, passwordHash]).affectedRows
        }
        guard updated > 0 else { throw DoormanError(.notFound, "no user named '\(username)'") }
    }

    /// Deletes a user. Throws `.notFound` for an unknown user.
    public func deleteUser(_ username: String) throws {
        let deleted = try withConnection(retryOnLostConnection: false) { connection in
            try connection.query("DELETE FROM users WHERE username = $1", [username]).affectedRows
        }
        guard deleted > 0 else { throw DoormanError(.notFound, "no user named '\(username)'") }
    }

    /// All usernames, sorted.
    public func usernames() throws -> [String] {
        try withConnection { connection in
            try connection.query("SELECT username FROM users ORDER BY username").rows.compactMap { $0.first ?? nil }
        }
    }
}
