import DoormanCore
import Foundation

/// One connection to Redis, over the transport its endpoint asks for:
/// hiredis' own blocking context for `redis://` and `unix://`, or RESP over a
/// TLS stream (OpenSSL, with hiredis' formatter and reader) for `rediss://`.
///
/// A connection is unusable after any I/O, TLS or protocol error: it then
/// reports `isReusable == false` and the pool opens a new one.
/// Not thread-safe: one thread at a time.
public final class RedisConnection: PooledConnection {
    private let transport: any RedisTransport

    /// Connects, sets the reply timeout, and runs `AUTH` and `SELECT` as the
    /// endpoint asks. For `rediss://` this makes a TLS context of its own
    /// (loading the CA file or the system store); ``RedisGateway`` makes one
    /// for all its connections instead.
    public convenience init(configuration: RedisConfiguration) throws {
        try self.init(configuration: configuration, tlsContext: nil)
    }

    /// Connects through `tlsContext` for `rediss://` (making one when `nil`).
    init(configuration: RedisConfiguration, tlsContext: TLSClientContext?) throws {
        let endpoint = configuration.endpoint
        if endpoint.usesTLS {
            guard case .tcp(let host, let port) = endpoint.transport else {
                throw DoormanError(.configuration, "Redis at \(endpoint.redactedURL): TLS needs a host and port, not a unix socket")
            }
            let context = try tlsContext ?? TLSClientContext(caCertificateFile: configuration.caCertificateFile)
            transport = try RedisTLSTransport(host: host, port: port, endpoint: endpoint, context: context,
                                              connectTimeout: configuration.connectTimeout, commandTimeout: configuration.commandTimeout)
        } else {
            transport = try HiredisTransport(endpoint: endpoint, connectTimeout: configuration.connectTimeout, commandTimeout: configuration.commandTimeout)
        }
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

    /// `false` after any I/O, TLS or protocol error.
    public var isReusable: Bool { transport.isReusable }

    /// The TLS version agreed on with the server (`TLSv1.3`), or `nil` for
    /// a connection without TLS. Wraps `SSL_get_version`.
    public var tlsVersion: String? { (transport as? RedisTLSTransport)?.protocolVersion }

    /// Sends one command and waits for its reply. Binary-safe: arguments go
    /// with explicit lengths (`redisCommandArgv`, or `redisFormatCommandArgv`
    /// over TLS).
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
