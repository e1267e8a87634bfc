import DoormanCore

/// How Doorman uses Redis.
public struct RedisConfiguration: Sendable, CustomStringConvertible {
    /// Where Redis is.
    public var endpoint: RedisEndpoint
    /// How long to wait for a connection.
    public var connectTimeout: Duration
    /// How long to wait for any one reply; past it the command fails with
    /// `.unavailable`, its connection is closed, and the login goes to PostgreSQL.
    public var commandTimeout: Duration
    /// Connections kept open; concurrent commands pipeline on them (picked round-robin).
    public var poolSize: Int
    /// How long a cached hash lives (`SET … EX`).
    public var cacheTTL: Duration
    /// The first part of every key Doorman writes: a user's cached entry is
    /// `<namespace>:auth:<username>`, throttle counters `<namespace>:throttle:…`.
    public var namespace: String
    /// After a connection failure, how long to skip Redis before trying again
    /// (the first wait; it doubles up to ``maxRetryBackoff`` while Redis stays down).
    public var retryBackoff: Duration
    /// The longest wait between attempts while Redis is down.
    public var maxRetryBackoff: Duration
    /// For `rediss://`: a PEM file of the CA certificates that may sign the
    /// server's certificate (as redis-cli's `--cacert`); `nil` trusts the
    /// system's store. Ignored for `redis://` and `unix://`.
    public var caCertificateFile: String?

    /// The prefix of users' cached entries: `<namespace>:auth:`.
    public var authKeyPrefix: String { namespace + ":auth:" }

    /// The prefix of throttle counters: `<namespace>:throttle:`.
    public var throttleKeyPrefix: String { namespace + ":throttle:" }

    /// The default time a cached hash lives: 300 seconds.
    public static let defaultCacheTTL: Duration = .seconds(300)

    /// Creates a configuration; the defaults keep a slow Redis from slowing logins.
    public init(
        endpoint: RedisEndpoint,
        connectTimeout: Duration = .milliseconds(1_000),
        commandTimeout: Duration = .milliseconds(250),
        poolSize: Int = 2,
        cacheTTL: Duration = defaultCacheTTL,
        namespace: String = "doorman",
        retryBackoff: Duration = .milliseconds(250),
        maxRetryBackoff: Duration = .seconds(1),
        caCertificateFile: String? = nil
    ) {
        self.endpoint = endpoint
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.poolSize = poolSize
        self.cacheTTL = cacheTTL
        self.namespace = namespace
        self.retryBackoff = retryBackoff
        self.maxRetryBackoff = maxRetryBackoff
        self.caCertificateFile = caCertificateFile
    }

    /// The configuration for logs and screens: the endpoint with its password
    /// masked (``RedisEndpoint/redactedURL``), never the password itself.
    public var description: String {
        "RedisConfiguration(endpoint: \(endpoint.redactedURL), connectTimeout: \(connectTimeout), commandTimeout: \(commandTimeout), "
            + "poolSize: \(poolSize), cacheTTL: \(cacheTTL), namespace: \(namespace), caCertificateFile: \(caCertificateFile ?? "system store"))"
    }
}
