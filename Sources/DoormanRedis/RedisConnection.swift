import DoormanCore
import Foundation

/// One connection to Redis, over the transport its endpoint asks for
/// (today hiredis' own blocking context, for `redis://` and `unix://`).
///
/// A connection is unusable after any I/O or protocol error: it then
/// reports `isReusable == false` and the pool opens a new one.
/// Not thread-safe: one thread at a time.
public final class RedisConnection: PooledConnection {
    private let transport: any RedisTransport

    /// Connects, sets the reply timeout, and runs `AUTH` and `SELECT` as the
    /// endpoint asks.
    public init(configuration: RedisConfiguration) throws {
        let endpoint = configuration.endpoint
        guard !endpoint.usesTLS else {
            throw DoormanError(.configuration, "rediss:// (TLS) is not supported by this build")
        }
        transport = try HiredisTransport(endpoint: endpoint, connectTimeout: configuration.connectTimeout, commandTimeout: configuration.commandTimeout)
        if let password = endpoint.password {
            var arguments = ["AUTH"]
            if let username = endpoint.username { arguments.append(username) }
            arguments.append(password)
            if case .error(let message) = try command(arguments) {
                // Redis' own words ("WRONGPASS invalid username-password pair") hold no secret.
                throw DoormanError(.unavailable, "Redis at \(endpoint.redactedURL) refused the login: \(message)")
            }
        }
        if endpoint.database != 0 {
            if case .error(let message) = try command(["SELECT", String(endpoint.database)]) {
                throw DoormanError(.configuration, "Redis at \(endpoint.redactedURL): cannot select database \(endpoint.database): \(message)")
            }
        }
    }

    /// `false` after any I/O or protocol error.
    public var isReusable: Bool { transport.isReusable }

    /// Sends one command and waits for its reply. Binary-safe: arguments go
    /// with explicit lengths (`redisCommandArgv`).
    ///
    /// Throws `.unavailable` (and marks the connection dead) on I/O errors,
    /// `.timeout` when no reply came in time; an error *reply* from Redis is
    /// returned as `.error`.
    public func command(_ arguments: [String]) throws -> RedisReply {
        try command(arguments.map { Array($0.utf8) })
    }

    /// ``command(_:)-([String])`` with raw byte arguments.
    public func command(_ arguments: [[UInt8]]) throws -> RedisReply {
        try transport.roundTrip(arguments)
    }
}
