internal import CPostgres
import DoormanCore
import Foundation

/// Rows copied out of a `PGresult`, as text (libpq's text format), with SQL
/// NULL as `nil`.
public struct PostgresRows: Sendable {
    /// Column names, in order.
    public var columns: [String]
    /// Each row's values, in column order.
    public var rows: [[String?]]
    /// The number of rows a command touched (`PQcmdTuples`), for UPDATE/DELETE.
    public var affectedRows: Int
}

/// One libpq connection. Owns its `PGconn` and closes it in `deinit`.
///
/// Not thread-safe (libpq connections are not): one thread at a time, which
/// ``ConnectionPool`` guarantees.
public final class PostgresConnection: PooledConnection {
    private let handle: OpaquePointer
    private var broken = false

    /// Connects. Wraps `PQconnectdbParams` with `expand_dbname`, so the
    /// connection string may be a URI or `key=value` pairs.
    public init(configuration: PostgresConfiguration) throws {
        let parameters = configuration.connectParameters
        let connection: OpaquePointer? = withConstCStringArray(parameters.map(\.0)) { keywords in
            withConstCStringArray(parameters.map(\.1)) { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let connection else {
            throw DoormanError(.unavailable, "PostgreSQL: libpq could not allocate a connection")
        }
        if PQstatus(connection) != CONNECTION_OK {
            // libpq does not repeat a password on connection failures, but redact anyway.
            let message = ConnectionStringRedaction.redact(Self.cleanMessage(PQerrorMessage(connection)),
                                                           connectionString: configuration.connectionString)
            PQfinish(connection)
            throw DoormanError(.unavailable, "cannot connect to PostgreSQL: \(message)")
        }
        handle = connection
    }

    deinit {
        PQfinish(handle)
    }

    /// `false` once the server dropped the connection or a transaction was left open.
    public var isReusable: Bool {
        !broken && PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// Where the connection went, for messages: `host:port/db` (or the socket
    /// directory), never a password.
    public var endpoint: String {
        let host = PQhost(handle).map { String(cString: $0) } ?? "?"
        let port = PQport(handle).map { String(cString: $0) } ?? "?"
        let db = PQdb(handle).map { String(cString: $0) } ?? "?"
        return "\(host):\(port)/\(db)"
    }

    /// Runs one parameterised statement and copies out its rows.
    ///
    /// Wraps `PQexecParams` (text parameters, text results): values never
    /// become part of the SQL text.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> PostgresRows {
        let result: OpaquePointer? = withConstCStringArray(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        return try consume(result)
    }

    /// Runs a script of several statements with the simple query protocol.
    ///
    /// Wraps `PQexec`. Only for SQL files shipped with Doorman (`sql/`), which
    /// contain no user input; everything else goes through ``query(_:_:)``.
    public func executeScript(_ sql: String) throws {
        try consume(PQexec(handle, sql))
    }

    /// Runs `body` inside `BEGIN` … `COMMIT`, rolling back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try query("BEGIN")
        do {
            let value = try body()
            try query("COMMIT")
            return value
        } catch {
            if PQstatus(handle) == CONNECTION_OK {
                _ = try? query("ROLLBACK")
            }
            throw error
        }
    }

    /// Subscribes this connection to `channel`. Wraps `LISTEN` with the
    /// channel quoted by `PQescapeIdentifier`.
    public func listen(_ channel: String) throws {
        guard let quoted = PQescapeIdentifier(handle, channel, channel.utf8.count) else {
            throw DoormanError(.database, "PostgreSQL: cannot quote the channel name")
        }
        defer { PQfreemem(quoted) }
        try query("LISTEN \(String(cString: quoted))")
    }

    /// Waits up to `timeout` for notifications on channels this connection
    /// listens to and returns them as (channel, payload) (empty after a quiet wait).
    ///
    /// Wraps `poll` on `PQsocket`, `PQconsumeInput` and `PQnotifies`. Throws
    /// `.unavailable` once the connection is lost.
    public func waitForNotifications(timeout: Duration) throws -> [(String, String)] {
        var payloads = drainNotifications()
        guard payloads.isEmpty else { return payloads }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0 else {
            broken = true
            throw DoormanError(.unavailable, "PostgreSQL connection lost")
        }
        let milliseconds = Int32(timeout.components.seconds * 1_000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0 && errno != EINTR {
            broken = true
            throw DoormanError(.unavailable, "PostgreSQL: poll failed")
        }
        if ready > 0 {
            guard PQconsumeInput(handle) == 1 else {
                broken = true
                throw DoormanError(.unavailable, "PostgreSQL connection lost: \(Self.cleanMessage(PQerrorMessage(handle)))")
            }
        }
        if PQstatus(handle) != CONNECTION_OK {
            broken = true
            throw DoormanError(.unavailable, "PostgreSQL connection lost")
        }
        payloads = drainNotifications()
        return payloads
    }

    private func drainNotifications() -> [(String, String)] {
        var notifications: [(String, String)] = []
        while let notification = PQnotifies(handle) {
            notifications.append((String(cString: notification.pointee.relname), String(cString: notification.pointee.extra)))
            PQfreemem(notification)
        }
        return notifications
    }

    @discardableResult
    private func consume(_ result: OpaquePointer?) throws -> PostgresRows {
        guard let result else {
            broken = true
            throw DoormanError(.unavailable, "PostgreSQL: \(Self.cleanMessage(PQerrorMessage(handle)))")
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            let sqlState = PQresultErrorField(result, doorman_pg_diag_sqlstate()).map { String(cString: $0) } ?? ""
            let message = Self.cleanMessage(PQresultErrorMessage(result))
            if PQstatus(handle) != CONNECTION_OK || Self.isConnectionFailure(sqlState: sqlState) {
                broken = true
                throw DoormanError(.unavailable, "PostgreSQL connection lost: \(message)")
            }
            if sqlState == "57014" {
                throw DoormanError(.timeout, "PostgreSQL statement timed out")
            }
            throw DoormanError(.database, "PostgreSQL: \(message)\(sqlState.isEmpty ? "" : " (SQLSTATE \(sqlState))")")
        }
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var columns: [String] = []
        columns.reserveCapacity(columnCount)
        for column in 0..<columnCount {
            columns.append(String(cString: PQfname(result, Int32(column))))
        }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
            rows.append(values)
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(columns: columns, rows: rows, affectedRows: affected)
    }

    /// SQLSTATE classes that mean the connection, not the statement, failed:
    /// 08 (connection exception), 57P01-57P03 (admin shutdown, crash, cannot connect now).
    static func isConnectionFailure(sqlState: String) -> Bool {
        sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
    }

    /// libpq messages end in newlines and sometimes span lines; make one line.
    static func cleanMessage(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        let text = String(cString: message)
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
        return text.isEmpty ? "unknown error" : text
    }

    static func cleanMessage(_ message: UnsafeMutablePointer<CChar>?) -> String {
        cleanMessage(UnsafePointer(message))
    }

    /// Checks a connection string's syntax. Wraps `PQconninfoParse`, whose
    /// messages may quote the string or a token of it: they are redacted.
    static func parseConnectionString(_ string: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(string, &errorMessage) else {
            let message = ConnectionStringRedaction.redact(errorMessage.map { cleanMessage($0) } ?? "out of memory", connectionString: string)
            if let errorMessage { PQfreemem(errorMessage) }
            throw DoormanError(.configuration, "invalid database URL: \(message)")
        }
        PQconninfoFree(options)
    }
}

/// ``withCStringArray(_:_:)`` in the `const char *const *` shape libpq takes.
func withConstCStringArray<T>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
    withCStringArray(strings) { copies in
        copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
