import DoormanCore

/// How to reach PostgreSQL.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// A libpq connection string, as a URI (`postgresql://user@host:5432/db?sslmode=verify-full`)
    /// or as `key=value` pairs. `nil` leaves everything to libpq's own
    /// defaults: the `PG*` environment variables, `~/.pgpass` and service files.
    public var connectionString: String?
    /// Connections kept in the pool.
    public var poolSize: Int
    /// Seconds a connection attempt may take (`connect_timeout`), unless the
    /// connection string sets its own.
    public var connectTimeout: Int
    /// How long a call may take by default: waiting for a pooled connection,
    /// connecting and the query together (`--postgres-timeout`, 2 s).
    public var queryTimeout: Duration

    /// Creates a configuration; the defaults suit a login service.
    public init(
        connectionString: String? = nil,
        poolSize: Int = 4,
        connectTimeout: Int = 2,
        queryTimeout: Duration = .seconds(2)
    ) {
        self.connectionString = connectionString
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
        self.queryTimeout = queryTimeout
    }

    /// The configuration for people: the connection string with its password masked.
    public var description: String {
        let target = connectionString.map { ConnectionStringRedaction.redact($0, connectionString: $0) } ?? "(libpq defaults)"
        return "PostgresConfiguration(\(target), poolSize: \(poolSize), connectTimeout: \(connectTimeout) s, queryTimeout: \(queryTimeout))"
    }

    /// Checks the connection string's syntax without connecting.
    ///
    /// Wraps `PQconninfoParse`. Throws a `.configuration` error naming what is
    /// wrong (libpq's own words, which name keywords, never values).
    public func validate() throws {
        guard let connectionString else { return }
        try PostgresConnection.parseConnectionString(connectionString)
    }

    /// Keywords and values for `PQconnectStartParams`. Doorman's defaults come
    /// first, so that anything the connection string sets wins over them.
    /// No `options` startup parameter: PgBouncer refuses it.
    var connectParameters: [(String, String)] {
        var parameters: [(String, String)] = [
            ("connect_timeout", String(connectTimeout)),
            ("application_name", "doorman"),
            // A half-open TCP connection is found within seconds (ignored on unix sockets).
            ("keepalives", "1"),
            ("keepalives_idle", "5"),
            ("keepalives_interval", "2"),
            ("keepalives_count", "2"),
            ("tcp_user_timeout", "5000"),
        ]
        if let connectionString {
            parameters.append(("dbname", connectionString))
        }
        return parameters
    }
}
