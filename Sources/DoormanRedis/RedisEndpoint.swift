import DoormanCore
import Foundation

/// Where Redis is and how to log in to it, parsed from a URL:
/// `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS), or
/// `unix://[user[:password]@]/path/to/redis.sock[?db=N]`.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// How to reach the server.
    public enum Transport: Sendable, Equatable {
        /// TCP to a host name or address and port.
        case tcp(host: String, port: Int)
        /// A unix-domain socket.
        case unix(path: String)
    }

    /// How to reach the server.
    public var transport: Transport
    /// `true` for `rediss://` (TLS).
    public var usesTLS: Bool
    /// The ACL user for `AUTH user password` (Redis 6+); `nil` for the default user.
    public var username: String?
    /// The password for `AUTH`; `nil` when the server needs none. Never printed.
    public var password: String?
    /// The logical database for `SELECT`.
    public var database: Int

    /// Creates an endpoint from its parts.
    public init(transport: Transport, usesTLS: Bool = false, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.transport = transport
        self.usesTLS = usesTLS
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses a Redis URL. Errors say what is wrong without repeating the URL
    /// (it may hold a password).
    public init(url: String) throws {
        func invalid(_ why: String) -> DoormanError {
            DoormanError(.configuration, "invalid Redis URL: \(why) (expected redis://[user[:password]@]host[:port][/db], rediss://… or unix:///path/to/socket)")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw invalid("it is not a URL")
        }
        let username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding }.flatMap { $0.isEmpty ? nil : $0 }
        let password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        var database = 0
        let dbQuery = components.queryItems?.first(where: { $0.name == "db" })?.value

        switch scheme {
        case "redis", "rediss":
            guard let host = components.host, !host.isEmpty else { throw invalid("the host is missing") }
            let port = components.port ?? 6379
            guard (1...65535).contains(port) else { throw invalid("the port must be between 1 and 65535") }
            let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else { throw invalid("the database must be a number, as in redis://host:6379/0") }
                database = number
            } else if let dbQuery {
                guard let number = Int(dbQuery), number >= 0 else { throw invalid("db= must be a number") }
                database = number
            }
            let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            self.init(transport: .tcp(host: bareHost, port: port), usesTLS: scheme == "rediss", username: username, password: password, database: database)
        case "unix", "redis+unix":
            let path = components.path
            guard path.hasPrefix("/") else { throw invalid("a unix socket URL needs an absolute path, as in unix:///run/redis.sock") }
            if let dbQuery {
                guard let number = Int(dbQuery), number >= 0 else { throw invalid("db= must be a number") }
                database = number
            }
            self.init(transport: .unix(path: path), username: username, password: password, database: database)
        default:
            throw invalid("the scheme '\(scheme)' is not redis, rediss or unix")
        }
    }

    /// The URL with any password replaced by `***`: safe for logs and screens.
    public var redactedURL: String {
        var userInfo = ""
        if let username { userInfo = username }
        if password != nil { userInfo += ":***" }
        if !userInfo.isEmpty { userInfo += "@" }
        switch transport {
        case .tcp(let host, let port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "\(usesTLS ? "rediss" : "redis")://\(userInfo)\(shownHost):\(port)/\(database)"
        case .unix(let path):
            return "unix://\(userInfo)\(path)\(database == 0 ? "" : "?db=\(database)")"
        }
    }

    /// ``redactedURL``: printing an endpoint never shows its password.
    public var description: String { redactedURL }

    /// ``redactedURL`` too, so that `dump` and `debugPrint` keep the password out as well.
    public var debugDescription: String { "RedisEndpoint(\(redactedURL))" }

    /// Only ``redactedURL``: `dump` and reflection never see the password.
    public var customMirror: Mirror { Mirror(self, children: ["url": redactedURL]) }
}
