import ArgumentParser
import DoormanRuntime
import Logging

/// The options every command takes: where the servers are, and how to log.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        "PostgreSQL connection string (URI or key=value). Default: $DATABASE_URL, else libpq's PG* variables, else the embedded server.",
        valueName: "url"))
    var databaseURL: String?

    @Option(name: .customLong("notify-database-url"), help: ArgumentHelp(
        "A direct PostgreSQL connection string for the one connection that LISTENs for changes, when --database-url goes through PgBouncer in transaction mode (notifications do not arrive through it; without this Doorman polls every second). Default: $DOORMAN_NOTIFY_DATABASE_URL, else --database-url.",
        valueName: "url"))
    var notifyDatabaseURL: String?

    @Option(name: .customLong("read-database-url"), help: ArgumentHelp(
        "A PostgreSQL connection string for password lookups, typically a standby (target_session_attrs=prefer-standby). A lookup that finds no user or an older password than a change Doorman has heard of is asked of --database-url again. Default: $DOORMAN_READ_DATABASE_URL, else --database-url.",
        valueName: "url"))
    var readDatabaseURL: String?

    @Option(name: .customLong("redis-url"), help: ArgumentHelp(
        "redis://[user[:password]@]host[:port][/db], rediss://… (TLS), unix:///path, or redis+sentinel://host:port[,host:port…]/master-name[/db] "
            + "(rediss+sentinel:// for TLS). Default: $REDIS_URL, else the embedded server.",
        valueName: "url"))
    var redisURL: String?

    @Option(name: .customLong("redis-cacert"), help: ArgumentHelp(
        "PEM file of CA certificates to verify a rediss:// server with (as redis-cli --cacert). Default: $REDIS_CACERT, else the system's CA store.",
        valueName: "file"))
    var redisCACertificate: String?

    @Option(name: .customLong("cache-ttl"), help: ArgumentHelp(
        "Seconds a cached hash lives in Redis. Default: $DOORMAN_CACHE_TTL, else 300.", valueName: "seconds"))
    var cacheTTL: Int?

    @Option(name: .customLong("postgres-timeout"), help: ArgumentHelp(
        "How long a PostgreSQL call may take (connection wait included) before it is cancelled: a cache miss then gets 503. Default: $DOORMAN_POSTGRES_TIMEOUT, else 2s.",
        valueName: "duration"))
    var postgresTimeout: String?

    @Option(name: .customLong("redis-timeout"), help: ArgumentHelp(
        "How long a Redis call may take before its connection is dropped and the login goes on through PostgreSQL. Default: $DOORMAN_REDIS_TIMEOUT, else 250ms.",
        valueName: "duration"))
    var redisTimeout: String?

    @Flag(name: .customLong("no-cache"), help: "Run without Redis: every login reads PostgreSQL. Default: $DOORMAN_NO_CACHE.")
    var noCache = false

    @Flag(name: .customLong("memory-cache"), help: ArgumentHelp(
        "Remember successful checks in memory for a short time (a salted SHA-256, never the password), so repeated logins skip bcrypt; reported as \"Memory\". Default: $DOORMAN_MEMORY_CACHE; TTL $DOORMAN_MEMORY_CACHE_TTL (60 s), size $DOORMAN_MEMORY_CACHE_MAX_USERS (10000)."))
    var memoryCache = false

    @Option(name: .customLong("bcrypt-cost"), help: ArgumentHelp(
        "The bcrypt cost stored hashes should have: a weaker hash is rehashed after a successful login. Default: $DOORMAN_BCRYPT_COST, else 10.",
        valueName: "cost"))
    var bcryptCost: Int?

    @Flag(name: .customLong("no-rehash"), help: "Leave stored hashes as they are, however weak. Default: $DOORMAN_REHASH=off.")
    var noRehash = false

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
            notifyDatabaseURL: notifyDatabaseURL,
            readDatabaseURL: readDatabaseURL,
            redisURL: redisURL,
            redisCACertificate: redisCACertificate,
            cacheTTLSeconds: cacheTTL,
            postgresTimeout: postgresTimeout,
            redisTimeout: redisTimeout,
            noCache: noCache,
            memoryCache: memoryCache,
            bcryptCost: bcryptCost,
            noRehash: noRehash,
            stateDirectory: stateDirectory,
            logLevel: logLevel,
            defaultLogLevel: defaultLogLevel
        )
    }
}
