import DoormanCore
import DoormanPasswords
import DoormanPostgres
import NIOPosix

extension AuthService {
    /// Adds a user, as `doorman user add` does: the name as RFC 8265 enforces
    /// it (refused when an existing name prepares alike), the password hashed
    /// with bcrypt at the configured cost, off Swift's cooperative threads.
    /// Returns the name as stored.
    @discardableResult
    public func addUser(_ typed: String, password: String) async throws -> String {
        guard let postgres else { throw DoormanError(.configuration, "users live in PostgreSQL, which this service does not read") }
        let username = try PRECIS.enforceNewUsername(typed)
        try Credentials.validate(username: username)
        try Credentials.validate(password: password)
        if try await postgres.usernames().contains(where: { PRECIS.prepareUsername($0) == username }) {
            throw DoormanError(.invalidInput, "that user already exists (names are compared as RFC 8265 prepares them)")
        }
        let hash = try await Self.hash(password, cost: configuration.bcryptCost)
        try await postgres.addUser(username, passwordHash: hash)
        _ = try? await flushCache(for: username)
        return username
    }

    /// Sets `username`'s password (`doorman user passwd`); the cached hash is dropped at once.
    public func setPassword(of username: String, to password: String) async throws {
        guard let postgres else { throw DoormanError(.configuration, "users live in PostgreSQL, which this service does not read") }
        try Credentials.validate(password: password)
        let hash = try await Self.hash(password, cost: configuration.bcryptCost)
        try await postgres.setPasswordHash(hash, for: username)
        _ = try? await flushCache(for: username)
    }

    /// Deletes `username` (`doorman user del`); the cached hash is dropped at once.
    public func deleteUser(_ username: String) async throws {
        guard let postgres else { throw DoormanError(.configuration, "users live in PostgreSQL, which this service does not read") }
        try await postgres.deleteUser(username)
        _ = try? await flushCache(for: username)
    }

    /// bcrypt on NIO's blocking pool (it is CPU work: 46 ms at cost 10).
    private static func hash(_ password: String, cost: Int) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { try BCrypt.hash(password, cost: cost) }
    }
}
