import DoormanCore
import DoormanPostgres
import Foundation

/// The embedded PostgreSQL: `initdb` on first use, then `pg_ctl start`/`stop`.
struct PostgresServer {
    let configuration: StackConfiguration
    let layout: Layout

    /// The directory with `initdb`, `pg_ctl` and `postgres`: the configured
    /// one, else the newest `/usr/lib/postgresql/<version>/bin` (Debian's
    /// layout), else wherever `postgres` is on `PATH`.
    func binDirectory() throws -> String {
        if let configured = configuration.postgresBinDirectory {
            guard FileManager.default.isExecutableFile(atPath: configured + "/pg_ctl") else {
                throw DoormanError(.configuration, "no pg_ctl in \(configured) (DOORMAN_PG_BINDIR)")
            }
            return configured
        }
        let debian = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: debian)) ?? [])
            .compactMap { Int($0) }
            .sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(debian)/\(version)/bin/pg_ctl") {
            return "\(debian)/\(version)/bin"
        }
        if let postgres = ProcessRunner.find("postgres"), let initdb = ProcessRunner.find("initdb"),
           (postgres as NSString).deletingLastPathComponent == (initdb as NSString).deletingLastPathComponent {
            return (postgres as NSString).deletingLastPathComponent
        }
        throw DoormanError(.stack, "the PostgreSQL server is not installed (apt-get install postgresql postgresql-contrib), or set DOORMAN_PG_BINDIR")
    }

    func isRunning(_ endpoints: EmbeddedStack.Endpoints) -> Bool {
        guard let text = try? String(contentsOfFile: layout.postgresData + "/postmaster.pid", encoding: .utf8),
              let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }) else { return false }
        return processIsAlive(pid) && FileManager.default.fileExists(atPath: layout.postgresRun + "/.s.PGSQL.\(endpoints.postgresPort)")
    }

    func start(_ endpoints: EmbeddedStack.Endpoints) throws {
        let bin = try binDirectory()
        let account = layout.postgresAccount?.name
        if !FileManager.default.fileExists(atPath: layout.postgresData + "/PG_VERSION") {
            try layout.makeDirectory(layout.postgresData, mode: 0o700, owner: layout.postgresAccount)
            try ProcessRunner.run(bin + "/initdb", [
                "-D", layout.postgresData, "-U", Layout.databaseUser, "--auth=trust",
                "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions",
            ], as: account, what: "initdb")
            let mainConfig = layout.postgresData + "/postgresql.conf"
            guard let handle = FileHandle(forWritingAtPath: mainConfig) else {
                throw DoormanError(.stack, "cannot append to \(mainConfig)")
            }
            handle.seekToEndOfFile()
            handle.write(Data("\n# Doorman's settings for the embedded server, rewritten at each start.\ninclude_if_exists = 'doorman.conf'\n".utf8))
            handle.closeFile()
        }
        let tls = try configuration.tls.map { try layout.installTLS($0, into: layout.postgresTLS, owner: layout.postgresAccount) }
        try layout.writeFile(layout.postgresData + "/doorman.conf", settings(endpoints, tls: tls), owner: layout.postgresAccount)
        do {
            try ProcessRunner.run(bin + "/pg_ctl", [
                "-D", layout.postgresData, "-l", layout.postgresLog, "-w", "-s",
                "-t", String(configuration.timeout.components.seconds), "start",
            ], as: account, what: "starting PostgreSQL")
        } catch let error as DoormanError {
            throw DoormanError(.stack, "\(error.message)\(logTail(layout.postgresLog).map { "; server log: \($0)" } ?? "")")
        }
    }

    func stop() throws {
        guard FileManager.default.fileExists(atPath: layout.postgresData + "/postmaster.pid") else { return }
        try ProcessRunner.run(try binDirectory() + "/pg_ctl", [
            "-D", layout.postgresData, "-m", "fast", "-w", "-s",
            "-t", String(configuration.timeout.components.seconds), "stop",
        ], as: layout.postgresAccount?.name, what: "stopping PostgreSQL")
    }

    /// Creates the `doorman` database the first time.
    func createDatabaseIfNeeded(_ endpoints: EmbeddedStack.Endpoints) throws {
        let configuration = PostgresConfiguration(
            connectionString: layout.databaseURL(endpoints, database: "postgres"), poolSize: 1, queryTimeout: .seconds(30))
        try runToCompletionOnThreadOfItsOwn {
            let connection = try await PostgresConnection.connect(configuration: configuration, deadline: .now + .seconds(30))
            let exists = try await connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [Layout.databaseName], deadline: .now + .seconds(30))
            if exists.rows.isEmpty {
                try await connection.query("CREATE DATABASE \(Layout.databaseName)", deadline: .now + .seconds(30))
            }
        }
    }

    private func settings(_ endpoints: EmbeddedStack.Endpoints, tls: StackTLS?) -> String {
        func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
        var lines = [
            "listen_addresses = '\(endpoints.postgresTCP ? "127.0.0.1" : "")'",
            "port = \(endpoints.postgresPort)",
            "unix_socket_directories = '\(layout.postgresRun.replacingOccurrences(of: "'", with: "''"))'",
            "unix_socket_permissions = 0700",
            "max_connections = 100",
            "shared_buffers = 32MB",
            "log_min_messages = warning",
            "log_line_prefix = '%m [%p] '",
        ]
        if let tls {
            lines += ["ssl = on", "ssl_cert_file = \(quoted(tls.certificateFile))", "ssl_key_file = \(quoted(tls.keyFile))"]
        }
        if !configuration.durable {
            lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The last few lines of a log file, on one line, for error messages.
func logTail(_ path: String, lines: Int = 3) -> String? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    let tail = text.split(whereSeparator: \.isNewline).suffix(lines).joined(separator: " | ")
    return tail.isEmpty ? nil : tail
}
