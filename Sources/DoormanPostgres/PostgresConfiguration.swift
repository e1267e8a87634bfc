import DoormanCore

/// How to reach PostgreSQL.
public struct PostgresConfiguration: Sendable {
    /// A libpq connection string, as a URI (`postgresql://user@host:5432/db?sslmode=verify-full`)
    /// or as `key=value` pairs. `nil` leaves everything to libpq's own
    /// defaults: the `PG*` environment variables, `~/.pgpass` and service files.
    public var connectionString: String?
    /// Connections kept in the pool.
    public var poolSize: Int
    /// Seconds libpq waits for a connection (`connect_timeout`), unless the
    /// connection string sets its own.
    public var connectTimeout: Int
    /// Milliseconds a statement may run (`statement_timeout`).
    public var statementTimeoutMilliseconds: Int
    /// How long a caller waits for a free pooled connection.
    public var acquireTimeout: Duration

    /// Creates a configuration; the defaults suit a login service.
    public init(
        connectionString: String? = nil,
        poolSize: Int = 4,
        connectTimeout: Int = 5,
        statementTimeoutMilliseconds: Int = 5_000,
        acquireTimeout: Duration = .seconds(5)
    ) {
        self.connectionString = connectionString
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        self.acquireTimeout = acquireTimeout
    }

    /// Checks the connection string's syntax without connecting.
    ///
    /// Wraps `PQconninfoParse`. Throws a `.configuration` error naming what is
    /// wrong (libpq's own words, which name keywords, never values).
    public func validate() throws {
        guard let connectionString else { return }
        try PostgresConnection.parseConnectionString(connectionString)
    }

    /// Keywords and values for `PQconnectdbParams`. Doorman's defaults come
    /// first, so that anything the connection string sets wins over them.
    var connectParameters: [(String, String)] {
        var parameters: [(String, String)] = [
            ("connect_timeout", String(connectTimeout)),
            ("application_name", "doorman"),
            ("options", "-c statement_timeout=\(statementTimeoutMilliseconds) -c client_min_messages=warning"),
        ]
        if let connectionString {
            parameters.append(("dbname", connectionString))
        }
        return parameters
    }
}
