import DoormanAuth
import DoormanCore
import DoormanPostgres
import DoormanRedis
import DoormanStack
import Foundation
import Logging

/// Everything Doorman is configured with, resolved once from command-line
/// flags and the environment. This is the one place that reads Doorman's
/// environment variables.
///
/// | Setting | Flag | Environment |
/// |---|---|---|
/// | database | `--database-url` | `DATABASE_URL`, else libpq's `PG*` variables |
/// | LISTEN connection | `--notify-database-url` | `DOORMAN_NOTIFY_DATABASE_URL` (else the database's) |
/// | password lookups on a standby | `--read-database-url` | `DOORMAN_READ_DATABASE_URL` |
/// | cache | `--redis-url` | `REDIS_URL` |
/// | CA for `rediss://` | `--redis-cacert` | `REDIS_CACERT` |
/// | cache TTL | `--cache-ttl` | `DOORMAN_CACHE_TTL` |
/// | PostgreSQL deadline | `--postgres-timeout` | `DOORMAN_POSTGRES_TIMEOUT` (2 s) |
/// | Redis deadline | `--redis-timeout` | `DOORMAN_REDIS_TIMEOUT` (250 ms) |
/// | no cache | `--no-cache` | `DOORMAN_NO_CACHE` |
/// | in-memory tier | `--memory-cache` | `DOORMAN_MEMORY_CACHE`, `DOORMAN_MEMORY_CACHE_TTL`, `DOORMAN_MEMORY_CACHE_MAX_USERS` |
/// | metrics token (serve) | `--metrics-token` | `DOORMAN_METRICS_TOKEN` |
/// | metrics listener (serve) | `--metrics-address` | `DOORMAN_METRICS_ADDRESS` |
/// | trusted proxies (serve) | `--trusted-proxy` | `DOORMAN_TRUSTED_PROXIES` |
/// | bcrypt cost | `--bcrypt-cost` | `DOORMAN_BCRYPT_COST` (10) |
/// | rehash weak hashes | `--no-rehash` | `DOORMAN_REHASH` (on) |
/// | state directory | `--state-dir` | `DOORMAN_STATE_DIR` |
/// | log level | `--log-level` | `DOORMAN_LOG_LEVEL` |
/// | PostgreSQL binaries | | `DOORMAN_PG_BINDIR` |
/// | redis-server | | `DOORMAN_REDIS_SERVER` |
/// | SQL files | | `DOORMAN_SQL_DIR` |
///
/// What is not configured runs on the embedded stack.
public struct Settings: Sendable {
    /// Where the users and products live.
    public enum Database: Sendable, Equatable {
        /// A connection string from `--database-url` or `DATABASE_URL`.
        case url(String)
        /// libpq's own defaults: `PGHOST`, `PGDATABASE`, `PGSERVICE`...
        case libpqEnvironment
        /// Doorman's embedded PostgreSQL.
        case embedded
    }

    /// Where the cache lives.
    public enum Cache: Sendable, Equatable {
        /// A server from `--redis-url` or `REDIS_URL`.
        case url(RedisEndpoint)
        /// Doorman's embedded Redis.
        case embedded
        /// No cache: every login reads PostgreSQL (`--no-cache`).
        case disabled
    }

    /// Where the users and products live.
    public var database: Database
    /// Where the cache lives.
    public var cache: Cache
    /// A direct connection string for the connection that LISTENs for changes
    /// (`--notify-database-url`), when ``database`` goes through PgBouncer in
    /// transaction mode, through which notifications do not arrive; `nil`
    /// listens on ``database``.
    public var notifyDatabaseURL: String?
    /// A connection string for password lookups (`--read-database-url`),
    /// typically a standby (`target_session_attrs=prefer-standby`); `nil`
    /// looks passwords up on ``database``.
    public var readDatabaseURL: String?
    /// CA certificates (PEM) to verify a `rediss://` server with; `nil` uses
    /// the system's CA store.
    public var redisCACertificateFile: String?
    /// How long a cached hash lives.
    public var cacheTTL: Duration
    /// How long any one PostgreSQL call may take (waiting for a connection
    /// included) before it is cancelled and the store counted as down.
    public var postgresTimeout: Duration
    /// How long any one Redis call may take before its connection is dropped
    /// and the login goes on through PostgreSQL.
    public var redisTimeout: Duration
    /// The in-memory tier in front of Redis; `nil` (the default) leaves it off.
    public var memoryCache: MemoryCredentialCache.Configuration?
    /// The bcrypt cost stored hashes should have; weaker ones are rehashed on login.
    public var bcryptCost: Int = 10
    /// Whether weaker hashes are rehashed on login.
    public var rehash: Bool = true
    /// The embedded stack's settings (used when either store is embedded).
    public var stack: StackConfiguration
    /// The directory of SQL migrations, when given explicitly.
    public var sqlDirectory: String?
    /// The log level.
    public var logLevel: Logger.Level
    /// The bearer token `/metrics` requires (`doorman serve`); see ``resolveMetrics(token:address:environment:)``.
    public var metricsToken: String?
    /// A listener of its own for `/metrics` (`doorman serve`).
    public var metricsAddress: (host: String, port: Int)?
    /// Proxies whose `X-Forwarded-For` names the client (`doorman serve`).
    public var trustedProxies: [CIDR] = []

    /// The environment variables libpq reads that say "this is my database".
    public static let libpqVariables = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"]

    /// `true` when anything runs on the embedded stack.
    public var usesEmbeddedStack: Bool { database == .embedded || cache == .embedded }

    /// Resolves flags (which win) and environment variables.
    /// Throws `.configuration` errors for malformed values.
    public static func resolve(
        databaseURL: String? = nil,
        notifyDatabaseURL: String? = nil,
        readDatabaseURL: String? = nil,
        redisURL: String? = nil,
        redisCACertificate: String? = nil,
        cacheTTLSeconds: Int? = nil,
        postgresTimeout: String? = nil,
        redisTimeout: String? = nil,
        noCache: Bool = false,
        memoryCache: Bool = false,
        bcryptCost: Int? = nil,
        noRehash: Bool = false,
        stateDirectory: String? = nil,
        logLevel: String? = nil,
        defaultLogLevel: Logger.Level = .warning,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Settings {
        func value(_ flag: String?, _ variable: String) -> String? {
            if let flag { return flag }
            if let fromEnvironment = environment[variable], !fromEnvironment.isEmpty { return fromEnvironment }
            return nil
        }

        let database: Database
        if let url = value(databaseURL, "DATABASE_URL") {
            try PostgresConfiguration(connectionString: url).validate()
            database = .url(url)
        } else if libpqVariables.contains(where: { !(environment[$0] ?? "").isEmpty }) {
            database = .libpqEnvironment
        } else {
            database = .embedded
        }

        func extraURL(_ flag: String?, _ variable: String, _ name: String) throws -> String? {
            guard let url = value(flag, variable) else { return nil }
            do {
                try PostgresConfiguration(connectionString: url).validate()
            } catch let error as DoormanError {
                throw DoormanError(.configuration, "\(error.message) (\(name) / \(variable))")
            }
            return url
        }
        let notifyURL = try extraURL(notifyDatabaseURL, "DOORMAN_NOTIFY_DATABASE_URL", "--notify-database-url")
        let readURL = try extraURL(readDatabaseURL, "DOORMAN_READ_DATABASE_URL", "--read-database-url")

        func flag(_ given: Bool, _ variable: String) throws -> Bool {
            if given { return true }
            guard let text = value(nil, variable)?.lowercased() else { return false }
            switch text {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw DoormanError(.configuration, "\(variable) must be 1/true/yes/on or 0/false/no/off")
            }
        }
        func number(_ variable: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
            guard let text = value(nil, variable) else { return fallback }
            guard let number = Int(text), range.contains(number) else {
                throw DoormanError(.configuration, "\(variable) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }

        let cache: Cache
        if try flag(noCache, "DOORMAN_NO_CACHE") {
            cache = .disabled
        } else if let url = value(redisURL, "REDIS_URL") {
            cache = .url(try RedisEndpoint(url: url))
        } else {
            cache = .embedded
        }

        let redisCACertificateFile = value(redisCACertificate, "REDIS_CACERT")
        if let redisCACertificateFile {
            do {
                try RedisConfiguration.checkCACertificateFile(redisCACertificateFile)
            } catch let error as DoormanError {
                throw DoormanError(.configuration, "\(error.message) (--redis-cacert / REDIS_CACERT)")
            }
        }

        var ttl = RedisConfiguration.defaultCacheTTL
        if let text = cacheTTLSeconds.map(String.init) ?? value(nil, "DOORMAN_CACHE_TTL") {
            guard let seconds = Int(text), (1...86_400 * 30).contains(seconds) else {
                throw DoormanError(.configuration, "the cache TTL must be a whole number of seconds from 1 to 2592000 (30 days)")
            }
            ttl = .seconds(seconds)
        }

        func deadline(_ flag: String?, _ variable: String, _ name: String, default fallback: Duration) throws -> Duration {
            guard let text = value(flag, variable) else { return fallback }
            guard let duration = Self.parseDuration(text), duration >= .milliseconds(10), duration <= .seconds(60) else {
                throw DoormanError(.configuration, "\(name) must be a duration from 10ms to 60s, such as 250ms, 2s or 1.5 (seconds)")
            }
            return duration
        }
        let postgresDeadline = try deadline(postgresTimeout, "DOORMAN_POSTGRES_TIMEOUT", "--postgres-timeout / DOORMAN_POSTGRES_TIMEOUT", default: .seconds(2))
        let redisDeadline = try deadline(redisTimeout, "DOORMAN_REDIS_TIMEOUT", "--redis-timeout / DOORMAN_REDIS_TIMEOUT", default: .milliseconds(250))

        var level = defaultLogLevel
        if let text = value(logLevel, "DOORMAN_LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: text.lowercased()) else {
                throw DoormanError(.configuration, "unknown log level '\(text)'; use trace, debug, info, notice, warning, error or critical")
            }
            level = parsed
        }

        var memory: MemoryCredentialCache.Configuration?
        if try flag(memoryCache, "DOORMAN_MEMORY_CACHE") {
            let defaults = MemoryCredentialCache.Configuration()
            let ttl = try number("DOORMAN_MEMORY_CACHE_TTL", default: Int(defaults.ttl.components.seconds), range: 1...3_600)
            let users = try number("DOORMAN_MEMORY_CACHE_MAX_USERS", default: defaults.maxUsers, range: 1...10_000_000)
            memory = MemoryCredentialCache.Configuration(ttl: .seconds(ttl), maxUsers: users)
        }

        let state = value(stateDirectory, "DOORMAN_STATE_DIR") ?? StackConfiguration.defaultStateDirectory(environment: environment)
        let stack = StackConfiguration(
            stateDirectory: state,
            postgresBinDirectory: value(nil, "DOORMAN_PG_BINDIR"),
            redisServerPath: value(nil, "DOORMAN_REDIS_SERVER")
        )
        var settings = Settings(database: database, cache: cache, redisCACertificateFile: redisCACertificateFile, cacheTTL: ttl,
                                postgresTimeout: postgresDeadline, redisTimeout: redisDeadline, memoryCache: memory,
                                stack: stack, sqlDirectory: value(nil, "DOORMAN_SQL_DIR"), logLevel: level)
        if let bcryptCost {
            guard (4...16).contains(bcryptCost) else { throw DoormanError(.configuration, "--bcrypt-cost must be from 4 to 16") }
            settings.bcryptCost = bcryptCost
        } else {
            settings.bcryptCost = try number("DOORMAN_BCRYPT_COST", default: 10, range: 4...16)
        }
        let rehashVariable = value(nil, "DOORMAN_REHASH")?.lowercased()
        guard rehashVariable.map({ ["1", "true", "yes", "on", "0", "false", "no", "off"].contains($0) }) ?? true else {
            throw DoormanError(.configuration, "DOORMAN_REHASH must be 1/true/yes/on or 0/false/no/off")
        }
        settings.rehash = !noRehash && !["0", "false", "no", "off"].contains(rehashVariable ?? "on")
        settings.notifyDatabaseURL = notifyURL
        settings.readDatabaseURL = readURL
        return settings
    }

    /// Resolves `doorman serve`'s metrics settings: the flags, else
    /// `DOORMAN_METRICS_TOKEN` and `DOORMAN_METRICS_ADDRESS` (`host:port`, `[::1]:9090`).
    public mutating func resolveMetrics(token: String?, address: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ flag: String?, _ variable: String) -> String? {
            flag ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 }
        }
        metricsToken = value(token, "DOORMAN_METRICS_TOKEN")
        if let metricsToken, metricsToken.count < 16 || metricsToken.contains(where: { $0.isWhitespace }) {
            throw DoormanError(.configuration, "--metrics-token / DOORMAN_METRICS_TOKEN must be at least 16 characters without spaces")
        }
        guard let text = value(address, "DOORMAN_METRICS_ADDRESS") else { metricsAddress = nil; return }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw DoormanError(.configuration, "--metrics-address / DOORMAN_METRICS_ADDRESS must be HOST:PORT, such as 127.0.0.1:9090")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw DoormanError(.configuration, "--metrics-address needs a host, such as 127.0.0.1:9090") }
        metricsAddress = (host, port)
    }

    /// Resolves `doorman serve --trusted-proxy` (repeatable), else
    /// `DOORMAN_TRUSTED_PROXIES` (comma-separated addresses or CIDR blocks).
    public mutating func resolveTrustedProxies(_ flags: [String], environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let texts = flags.isEmpty
            ? (environment["DOORMAN_TRUSTED_PROXIES"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            : flags
        trustedProxies = try texts.map { text in
            guard let block = CIDR(text) else {
                throw DoormanError(.configuration, "--trusted-proxy / DOORMAN_TRUSTED_PROXIES: '\(text)' is not an address or CIDR block, such as 10.0.0.0/8")
            }
            return block
        }
    }

    /// A duration as people write it: `250ms`, `2s`, `1.5s`, or a bare number of seconds (`0.25`).
    static func parseDuration(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let (number, scale): (Substring, Double) =
            trimmed.hasSuffix("ms") ? (trimmed.dropLast(2), 0.001) : trimmed.hasSuffix("s") ? (trimmed.dropLast(), 1) : (Substring(trimmed), 1)
        guard let value = Double(number.trimmingCharacters(in: .whitespaces)), value.isFinite, value >= 0 else { return nil }
        return .milliseconds(Int64((value * scale * 1_000).rounded()))
    }

    /// The login service's settings.
    public var authConfiguration: AuthService.Configuration {
        AuthService.Configuration(cacheTTL: cacheTTL, memoryCache: memoryCache, bcryptCost: bcryptCost, rehash: rehash)
    }

    /// Doorman's SQL migrations: from ``sqlDirectory`` or the `sql/` directory
    /// installed with (or beside, in a checkout) the program.
    public func migrations() throws -> [Migration] {
        if let sqlDirectory {
            return try Migration.load(from: URL(fileURLWithPath: sqlDirectory))
        }
        guard let found = ResourceLocator.directory(named: "sql", containing: "001_schema.sql") else {
            throw DoormanError(.configuration, "cannot find Doorman's sql/ directory; set DOORMAN_SQL_DIR")
        }
        return try Migration.load(from: found)
    }
}
