import DoormanCore
import Foundation

/// Where Redis is and how to log in to it, parsed from a URL:
/// `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS),
/// `unix://[user[:password]@]/path/to/redis.sock[?db=N]`, or, to find the
/// master through Redis Sentinel,
/// `redis+sentinel://[user[:password]@]host:port[,host:port…]/master-name[/db]`
/// (`rediss+sentinel://` for TLS to the sentinels and the master alike).
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// How to reach the server.
    public enum Transport: Sendable, Equatable {
        /// TCP to a host name or address and port.
        case tcp(host: String, port: Int)
        /// A unix-domain socket.
        case unix(path: String)
        /// The master that these sentinels name `masterName` (asked in order).
        case sentinel(sentinels: [Address], masterName: String)
    }

    /// A host name or address and a TCP port.
    public struct Address: Sendable, Hashable, CustomStringConvertible {
        /// A host name or an IP address (IPv6 without brackets).
        public var host: String
        /// The TCP port.
        public var port: Int

        /// Creates an address.
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `host:port`, with an IPv6 address in brackets.
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// The port sentinels listen on unless the URL says otherwise.
    public static let defaultSentinelPort = 26379

    /// How to reach the server.
    public var transport: Transport
    /// `true` for `rediss://` and `rediss+sentinel://` (TLS).
    public var usesTLS: Bool
    /// The ACL user for `AUTH user password` (Redis 6+); `nil` for the default user.
    /// Through Sentinel, the master's; a sentinel that asks for a login
    /// (`NOAUTH`) gets the same.
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
        if let range = url.range(of: "://"), ["redis+sentinel", "rediss+sentinel"].contains(url[..<range.lowerBound].lowercased()) {
            self = try Self.sentinelEndpoint(url[range.upperBound...], tls: url[..<range.lowerBound].lowercased() == "rediss+sentinel")
            return
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
            throw invalid("the scheme '\(scheme)' is not redis, rediss, unix or redis+sentinel")
        }
    }

    /// Parses what follows `redis+sentinel://`: `[user[:password]@]host[:port][,host[:port]…]/master-name[/db]`.
    /// Hand-made: URLComponents takes no list of hosts.
    private static func sentinelEndpoint(_ rest: Substring, tls: Bool) throws -> RedisEndpoint {
        func invalid(_ why: String) -> DoormanError {
            DoormanError(.configuration, "invalid Redis URL: \(why) (expected redis+sentinel://[user[:password]@]host:port[,host:port…]/master-name[/db])")
        }
        var rest = rest
        var database: Int?
        if let question = rest.firstIndex(of: "?") {
            for item in rest[rest.index(after: question)...].split(separator: "&") {
                guard item.hasPrefix("db="), let number = Int(item.dropFirst(3)), number >= 0 else {
                    throw invalid("the only query parameter is db=N, a number")
                }
                database = number
            }
            rest = rest[..<question]
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<slash]
        let path = rest[slash...].split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var username: String?, password: String?
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                username = String(userInfo[..<colon]).removingPercentEncoding
                password = String(userInfo[userInfo.index(after: colon)...]).removingPercentEncoding
                guard password != nil else { throw invalid("the password is not properly percent-encoded") }
            } else {
                username = String(userInfo).removingPercentEncoding
            }
            guard username != nil else { throw invalid("the user name is not properly percent-encoded") }
            if username?.isEmpty == true { username = nil }
        }
        var sentinels: [Address] = []
        for item in authority.split(separator: ",", omittingEmptySubsequences: false) {
            var host: Substring, portText: Substring?
            if item.hasPrefix("[") {
                guard let close = item.firstIndex(of: "]") else { throw invalid("an IPv6 address lacks its closing ]") }
                host = item[item.index(after: item.startIndex)..<close]
                let after = item[item.index(after: close)...]
                if !after.isEmpty {
                    guard after.hasPrefix(":") else { throw invalid("a sentinel's address is not host:port") }
                    portText = after.dropFirst()
                }
            } else if let colon = item.lastIndex(of: ":") {
                host = item[..<colon]
                portText = item[item.index(after: colon)...]
            } else {
                host = item
            }
            guard !host.isEmpty else { throw invalid("a sentinel's host is missing") }
            var port = defaultSentinelPort
            if let portText {
                guard let number = Int(portText), (1...65535).contains(number) else {
                    throw invalid("a sentinel's port must be between 1 and 65535")
                }
                port = number
            }
            sentinels.append(Address(host: String(host), port: port))
        }
        guard let name = path.first.flatMap({ String($0).removingPercentEncoding }), !name.isEmpty else {
            throw invalid("the master name is missing")
        }
        guard path.count <= 2 else { throw invalid("after the master name only a database number may follow") }
        if path.count == 2, !path.last!.isEmpty {
            guard let number = Int(path.last!), number >= 0 else { throw invalid("the database must be a number, as in redis+sentinel://host:26379/mymaster/0") }
            database = number
        }
        return RedisEndpoint(transport: .sentinel(sentinels: sentinels, masterName: name), usesTLS: tls,
                             username: username, password: password, database: database ?? 0)
    }

    /// The endpoint of one server found through Sentinel: this endpoint's
    /// TLS, login and database, at `address`.
    public func at(_ address: Address) -> RedisEndpoint {
        RedisEndpoint(transport: .tcp(host: address.host, port: address.port), usesTLS: usesTLS,
                      username: username, password: password, database: database)
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
        case .sentinel(let sentinels, let masterName):
            let name = masterName.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? masterName
            return "\(usesTLS ? "rediss" : "redis")+sentinel://\(userInfo)\(sentinels.map(\.description).joined(separator: ","))/\(name)/\(database)"
        }
    }

    /// ``redactedURL``: printing an endpoint never shows its password.
    public var description: String { redactedURL }

    /// ``redactedURL`` too, so that `dump` and `debugPrint` keep the password out as well.
    public var debugDescription: String { "RedisEndpoint(\(redactedURL))" }

    /// Only ``redactedURL``: `dump` and reflection never see the password.
    public var customMirror: Mirror { Mirror(self, children: ["url": redactedURL]) }
}
