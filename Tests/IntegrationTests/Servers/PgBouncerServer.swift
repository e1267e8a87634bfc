import DoormanStack
import Foundation

/// A real PgBouncer in transaction pooling mode in front of a test
/// PostgreSQL's loopback port, on a loopback port of its own.
///
/// As root it runs as `postgres` (PgBouncer refuses root), with its files
/// owned by that user. ``stop()`` kills it and removes its directory.
final class PgBouncerServer: Sendable {
    /// The port PgBouncer listens on (127.0.0.1).
    let port: Int
    let directory: String

    private init(port: Int, directory: String) {
        self.port = port
        self.directory = directory
    }

    /// A libpq URL to `database` through PgBouncer, as Doorman's user.
    func databaseURL(database: String = "doorman") -> String {
        "postgresql://doorman@127.0.0.1:\(port)/\(database)"
    }

    /// Starts PgBouncer in front of `127.0.0.1:backendPort` (off the cooperative pool) and waits until it accepts.
    static func start(backendPort: Int, name: String = "pgbouncer") async throws -> PgBouncerServer {
        guard let binary = Subprocess.find("pgbouncer") else {
            throw HarnessError("pgbouncer is missing: run scripts/install-deps.sh --test (make test does)")
        }
        let directory = TestServers.makeTemporaryDirectory(prefix: "doorman-test-\(name)")
        let port = try FreePort.free()
        let ini = """
            [databases]
            * = host=127.0.0.1 port=\(backendPort)

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(directory)/userlist.txt
            pool_mode = transaction
            max_client_conn = 200
            default_pool_size = 10
            logfile = \(directory)/pgbouncer.log
            pidfile = \(directory)/pgbouncer.pid

            """
        try ini.write(toFile: directory + "/pgbouncer.ini", atomically: false, encoding: .utf8)
        try "\"doorman\" \"\"\n\"postgres\" \"\"\n".write(toFile: directory + "/userlist.txt", atomically: false, encoding: .utf8)
        var command = [binary, "-d", directory + "/pgbouncer.ini"]
        if getuid() == 0 {
            guard let account = getpwnam("postgres") else { throw HarnessError("no postgres user to run pgbouncer as") }
            let (uid, gid) = (account.pointee.pw_uid, account.pointee.pw_gid)
            for path in [directory, directory + "/pgbouncer.ini", directory + "/userlist.txt"] {
                guard chown(path, uid, gid) == 0 else { throw HarnessError("cannot chown \(path)") }
            }
            command = ["/usr/sbin/runuser", "-u", "postgres", "--"] + command
        }
        let result = try await offThePool { [command] in try Subprocess.run(command, mergeOutput: true) }
        guard result.status == 0 else {
            throw HarnessError("pgbouncer did not start (\(result.status)): \(result.standardOutput)")
        }
        let server = PgBouncerServer(port: port, directory: directory)
        try await server.waitUntilAccepting()
        return server
    }

    private func waitUntilAccepting() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if Self.accepts(port: port) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("pgbouncer does not accept on \(port): \(log)")
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// PgBouncer's log, for failure messages.
    var log: String {
        (try? String(contentsOfFile: directory + "/pgbouncer.log", encoding: .utf8)) ?? ""
    }

    /// Kills PgBouncer and removes its directory.
    func stop() {
        if let text = try? String(contentsOfFile: directory + "/pgbouncer.pid", encoding: .utf8),
           let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 {
            kill(pid, SIGKILL)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A test harness could not set a server up.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
