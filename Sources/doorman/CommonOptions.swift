import ArgumentParser
import DoormanRuntime
import Logging

/// The options every command takes: where the servers are, and how to log.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        "PostgreSQL connection string (URI or key=value). Default: $DATABASE_URL, else libpq's PG* variables, else the embedded server.",
        valueName: "url"))
    var databaseURL: String?

    @Option(name: .customLong("redis-url"), help: ArgumentHelp(
        "redis://[user[:password]@]host[:port][/db], rediss://… (TLS) or unix:///path. Default: $REDIS_URL, else the embedded server.",
        valueName: "url"))
    var redisURL: String?

    @Option(name: .customLong("redis-cacert"), help: ArgumentHelp(
        "PEM file of CA certificates to verify a rediss:// server with (as redis-cli --cacert). Default: $REDIS_CACERT, else the system's CA store.",
        valueName: "file"))
    var redisCACertificate: String?

    @Option(name: .customLong("cache-ttl"), help: ArgumentHelp(
        "Seconds a cached hash lives in Redis. Default: $DOORMAN_CACHE_TTL, else 300.", valueName: "seconds"))
    var cacheTTL: Int?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp(
        "Where the embedded servers keep their files. Default: $DOORMAN_STATE_DIR, else $XDG_STATE_HOME/doorman (/var/lib/doorman as root).",
        valueName: "dir"))
    var stateDirectory: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp(
        "trace, debug, info, notice, warning, error or critical. Default: $DOORMAN_LOG_LEVEL, else warning (info for serve).",
        valueName: "level"))
    var logLevel: String?

    /// Resolves these flags with the environment into ``Settings``.
    func settings(defaultLogLevel: Logger.Level = .warning) throws -> Settings {
        try Settings.resolve(
            databaseURL: databaseURL,
            redisURL: redisURL,
            redisCACertificate: redisCACertificate,
            cacheTTLSeconds: cacheTTL,
            stateDirectory: stateDirectory,
            logLevel: logLevel,
            defaultLogLevel: defaultLogLevel
        )
    }
}
