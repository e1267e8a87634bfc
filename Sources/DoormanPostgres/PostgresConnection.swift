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

/// One libpq connection in non-blocking mode. Owns its `PGconn` and closes
/// it in `deinit`.
///
/// Every call takes a deadline. When libpq needs the socket, the calling task
/// suspends on ``PostgresReactor`` (no thread waits). Past the deadline a
/// running query is cancelled (`PQcancel`, on ``PostgresCanceller``'s threads),
/// the connection is marked unusable and the call throws `.unavailable`.
///
/// `@unchecked Sendable`: libpq connections are not thread-safe, and this one
/// is used by one task at a time, which the gateway's pool guarantees (a
/// connection is only reachable by the task that checked it out).
public final class PostgresConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    private var broken = false
    /// `true` once a statement failed with SQLSTATE 25006 (read_only_sql_transaction).
    private(set) var isOnReadOnlyServer = false
    private let connectionString: String?

    private init(handle: OpaquePointer, connectionString: String?) {
        self.handle = handle
        self.connectionString = connectionString
    }

    /// Connects without blocking. Wraps `PQconnectStartParams` (with
    /// `expand_dbname`, so the connection string may be a URI or `key=value`
    /// pairs) and `PQconnectPoll`, waiting for whatever libpq asks for; the
    /// socket may change while libpq tries hosts and TLS. The wait ends at
    /// `deadline` or after `connect_timeout`, whichever comes first.
    public static func connect(configuration: PostgresConfiguration, deadline: ContinuousClock.Instant) async throws -> PostgresConnection {
        let parameters = configuration.connectParameters
        let started: OpaquePointer? = withConstCStringArray(parameters.map(\.0)) { keywords in
            withConstCStringArray(parameters.map(\.1)) { values in
                PQconnectStartParams(keywords, values, 1)
            }
        }
        guard let started else {
            throw DoormanError(.unavailable, "PostgreSQL: libpq could not allocate a connection")
        }
        // From here on, the connection object owns the handle (deinit frees it).
        let connection = PostgresConnection(handle: started, connectionString: configuration.connectionString)
        // No notice (NOTICE, WARNING, or a FATAL sent as the server goes away)
        // ever reaches stderr, where it would be drawn over the terminal UI.
        PQsetNoticeReceiver(started, { _, _ in }, nil)
        if PQstatus(started) == CONNECTION_BAD {
            throw connection.connectFailure()
        }
        _ = PQsetnonblocking(started, 1)
        let connectDeadline = min(deadline, .now + .seconds(max(1, connection.effectiveConnectTimeout ?? configuration.connectTimeout)))
        var polling = PGRES_POLLING_WRITING
        while true {
            switch polling {
            case PGRES_POLLING_OK:
                return connection
            case PGRES_POLLING_FAILED:
                throw connection.connectFailure()
            default:
                let fd = PQsocket(started)
                guard fd >= 0 else { throw connection.connectFailure() }
                let readiness = await PostgresReactor.shared.wait(
                    for: fd, polling == PGRES_POLLING_READING ? .read : .write, until: connectDeadline)
                switch readiness {
                case .ready: break
                case .timedOut:
                    connection.broken = true
                    throw PostgresConnection.timeoutError(connecting: true)
                case .cancelled:
                    connection.broken = true
                    throw CancellationError()
                }
            }
            polling = PQconnectPoll(started)
        }
    }

    deinit {
        PQfinish(handle)
    }

    /// `connect_timeout` as libpq will use it (the connection string's, else Doorman's default).
    private var effectiveConnectTimeout: Int? {
        guard let options = PQconninfo(handle) else { return nil }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "connect_timeout", let value = option.pointee.val {
                return Int(String(cString: value).trimmingCharacters(in: .whitespaces))
            }
            option += 1
        }
        return nil
    }

    private func connectFailure() -> DoormanError {
        broken = true
        // libpq does not repeat a password on connection failures, but redact anyway.
        let message = ConnectionStringRedaction.redact(Self.cleanMessage(PQerrorMessage(handle)), connectionString: connectionString)
        return DoormanError(.unavailable, "cannot connect to PostgreSQL: \(message)")
    }

    static func timeoutError(connecting: Bool) -> DoormanError {
        DoormanError(.unavailable, connecting ? "cannot connect to PostgreSQL: no answer within connect_timeout or the call's deadline" : "PostgreSQL did not answer before the deadline")
    }

    /// `false` once the server dropped the connection, a call timed out, or a transaction was left open.
    var isReusable: Bool {
        !broken && PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// The server process serving this connection (`PQbackendPID`).
    var backendPID: Int32 {
        PQbackendPID(handle)
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
    /// Wraps `PQsendQueryParams` (text parameters, text results: values never
    /// become part of the SQL text), `PQflush`, `PQconsumeInput`, `PQisBusy`
    /// and `PQgetResult`.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = [], deadline: ContinuousClock.Instant) async throws -> PostgresRows {
        let sent: Int32 = withConstCStringArray(parameters) { values in
            PQsendQueryParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw lost() }
        return try await collect(deadline: deadline)
    }

    /// Runs a script of several statements with the simple query protocol.
    ///
    /// Wraps `PQsendQuery`. Only for SQL files shipped with Doorman (`sql/`),
    /// which contain no user input; everything else goes through ``query(_:_:deadline:)``.
    public func executeScript(_ sql: String, deadline: ContinuousClock.Instant) async throws {
        guard PQsendQuery(handle, sql) == 1 else { throw lost() }
        try await collect(deadline: deadline)
    }

    /// Runs `body` inside `BEGIN` … `COMMIT`, rolling back if it throws.
    public func transaction<T>(deadline: ContinuousClock.Instant, _ body: () async throws -> T) async throws -> T {
        try await query("BEGIN", deadline: deadline)
        do {
            let value = try await body()
            try await query("COMMIT", deadline: deadline)
            return value
        } catch {
            if !broken && PQstatus(handle) == CONNECTION_OK {
                _ = try? await query("ROLLBACK", deadline: max(deadline, .now + .milliseconds(500)))
            }
            throw error
        }
    }

    /// Subscribes this connection to `channel`. Wraps `LISTEN` with the
    /// channel quoted by `PQescapeIdentifier`.
    public func listen(_ channel: String, deadline: ContinuousClock.Instant) async throws {
        guard let quoted = PQescapeIdentifier(handle, channel, channel.utf8.count) else {
            throw DoormanError(.database, "PostgreSQL: cannot quote the channel name")
        }
        let text = String(cString: quoted)
        PQfreemem(quoted)
        try await query("LISTEN \(text)", deadline: deadline)
    }

    /// Waits until `deadline` for notifications on channels this connection
    /// listens to and returns them as (channel, payload): empty after a quiet wait.
    ///
    /// Wraps `PQconsumeInput` and `PQnotifies`, waiting on the reactor.
    /// Throws `.unavailable` once the connection is lost, `CancellationError`
    /// when the task is cancelled.
    func waitForNotifications(until deadline: ContinuousClock.Instant) async throws -> [(String, String)] {
        var payloads = drainNotifications()
        guard payloads.isEmpty else { return payloads }
        let fd = PQsocket(handle)
        guard fd >= 0 else { throw lost() }
        switch await PostgresReactor.shared.wait(for: fd, .read, until: deadline) {
        case .ready:
            guard PQconsumeInput(handle) == 1 else { throw lost() }
        case .timedOut:
            break
        case .cancelled:
            throw CancellationError()
        }
        if PQstatus(handle) != CONNECTION_OK { throw lost() }
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

    private func lost() -> DoormanError {
        broken = true
        return DoormanError(.unavailable, "PostgreSQL connection lost: \(Self.cleanMessage(PQerrorMessage(handle)))")
    }

    /// Sends what libpq buffered, then reads results until `PQgetResult` returns NULL.
    /// Returns the first result's rows; throws the first error.
    @discardableResult
    private func collect(deadline: ContinuousClock.Instant) async throws -> PostgresRows {
        // Flush: PQflush returns 1 while data remains; read too, so the server never stalls on a full pipe.
        while true {
            let flushed = PQflush(handle)
            if flushed == 0 { break }
            if flushed < 0 { throw lost() }
            try await waitForSocket(.readOrWrite, deadline: deadline)
            guard PQconsumeInput(handle) == 1 else { throw lost() }
        }
        var first: Result<PostgresRows, DoormanError>?
        while true {
            guard PQconsumeInput(handle) == 1 else { throw lost() }
            while PQisBusy(handle) == 0 {
                guard let result = PQgetResult(handle) else {
                    guard let first else { throw lost() }
                    return try first.get()
                }
                let converted = convert(result)
                PQclear(result)
                if first == nil { first = converted } else if case .failure = converted, case .success = first { first = converted }
            }
            try await waitForSocket(.read, deadline: deadline)
        }
    }

    private func waitForSocket(_ interest: PostgresReactor.Interest, deadline: ContinuousClock.Instant) async throws {
        let fd = PQsocket(handle)
        guard fd >= 0 else { throw lost() }
        switch await PostgresReactor.shared.wait(for: fd, interest, until: deadline) {
        case .ready:
            return
        case .timedOut:
            cancelRunningQuery()
            throw Self.timeoutError(connecting: false)
        case .cancelled:
            cancelRunningQuery()
            throw CancellationError()
        }
    }

    /// Asks the server to stop the running query (`PQgetCancel` now, `PQcancel`
    /// on a canceller thread) and marks this connection unusable.
    private func cancelRunningQuery() {
        broken = true
        guard let cancel = PQgetCancel(handle) else { return }
        let request = CancelRequest(handle: cancel)
        if !PostgresCanceller.shared.submit({ request.send() }) {
            request.free()
        }
    }

    private func convert(_ result: OpaquePointer) -> Result<PostgresRows, DoormanError> {
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY else {
            let sqlState = PQresultErrorField(result, doorman_pg_diag_sqlstate()).map { String(cString: $0) } ?? ""
            // The primary message only: DETAIL can quote a row (a hash) and HINT or CONTEXT a statement.
            let primary = PQresultErrorField(result, doorman_pg_diag_message_primary())
            let message = primary.map { Self.cleanMessage($0) } ?? Self.cleanMessage(PQresultErrorMessage(result))
            if PQstatus(handle) != CONNECTION_OK || Self.isConnectionFailure(sqlState: sqlState) {
                broken = true
                return .failure(DoormanError(.unavailable, "PostgreSQL connection lost: \(message)"))
            }
            if sqlState == "25006" {
                // read_only_sql_transaction: this server is a standby. Never
                // keep the connection; the gateway retries on a new one.
                broken = true
                isOnReadOnlyServer = true
                return .failure(DoormanError(.unavailable, "PostgreSQL server is read-only (a standby?): \(message)"))
            }
            if sqlState == "57014" {
                return .failure(DoormanError(.timeout, "PostgreSQL statement timed out"))
            }
            return .failure(DoormanError(.database, "PostgreSQL: \(message)\(sqlState.isEmpty ? "" : " (SQLSTATE \(sqlState))")"))
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
        return .success(PostgresRows(columns: columns, rows: rows, affectedRows: affected))
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
            // DETAIL can quote a row (a hash); HINT and CONTEXT can quote statements.
            .filter { line in !["DETAIL:", "HINT:", "CONTEXT:", "QUERY:"].contains { line.hasPrefix($0) } }
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

/// A `PGcancel` handed to a canceller thread. `@unchecked Sendable`: it is
/// created on the connection's task and then used only by that one thread.
private final class CancelRequest: @unchecked Sendable {
    private let handle: OpaquePointer

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    /// Wraps `PQcancel` (blocking: a new connection to the server) and `PQfreeCancel`.
    func send() {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(handle, &buffer, Int32(buffer.count))
        free()
    }

    func free() {
        PQfreeCancel(handle)
    }
}
