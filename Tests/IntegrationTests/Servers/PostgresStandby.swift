import DoormanPostgres
import DoormanStack
import Foundation
import Synchronization

/// A streaming standby of a test stack's PostgreSQL (which must listen on
/// TCP): `pg_basebackup -R` from the primary, started on a loopback port of
/// its own. As root it runs as `postgres`. Await ``stop()`` at the end of a
/// test; ``stopInBackground()`` (in a `defer`) covers a test that threw.
final class PostgresStandby: Sendable {
    /// The standby's port on 127.0.0.1.
    let port: Int
    let directory: String
    let binDirectory: String
    private let stopped = Atomic<Bool>(false)

    private init(port: Int, directory: String, binDirectory: String) {
        self.port = port
        self.directory = directory
        self.binDirectory = binDirectory
    }

    var dataDirectory: String { directory + "/data" }

    /// A direct URL to this server alone, over TCP.
    var databaseURL: String { "postgresql://doorman@127.0.0.1:\(port)/doorman" }

    /// The newest `/usr/lib/postgresql/<version>/bin` (Debian's layout).
    static func findBinDirectory() throws -> String {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).compactMap { Int($0) }.sorted(by: >)
        guard let version = versions.first(where: { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/pg_basebackup") }) else {
            throw HarnessError("no pg_basebackup under /usr/lib/postgresql")
        }
        return "/usr/lib/postgresql/\(version)/bin"
    }

    /// Runs a PostgreSQL tool, as `postgres` when this process is root, off the cooperative pool.
    func run(_ tool: String, _ arguments: [String]) async throws {
        try await Self.run(binDirectory + "/" + tool, arguments)
    }

    private static func run(_ path: String, _ arguments: [String]) async throws {
        let command = (getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []) + [path] + arguments
        let result = try await offThePool { try Subprocess.run(command, mergeOutput: true) }
        guard result.status == 0 else {
            throw HarnessError("\((path as NSString).lastPathComponent) failed (\(result.status)): \(result.standardOutput)")
        }
    }

    /// Makes a standby of `primary` and starts it; returns once it accepts connections.
    static func start(primary: EmbeddedStack, name: String = "standby") async throws -> PostgresStandby {
        guard let primaryPort = primary.postgresTCPAddress?.port else { throw HarnessError("the primary must listen on TCP") }
        let binDirectory = try findBinDirectory()
        let directory = TestServers.makeTemporaryDirectory(prefix: "doorman-test-\(name)")
        if getuid() == 0 {
            guard let account = getpwnam("postgres") else { throw HarnessError("no postgres user") }
            guard chown(directory, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else { throw HarnessError("cannot chown \(directory)") }
        }
        let standby = PostgresStandby(port: try FreePort.free(), directory: directory, binDirectory: binDirectory)
        try await standby.run("pg_basebackup", ["-h", "127.0.0.1", "-p", String(primaryPort), "-U", "doorman",
                                                "-D", standby.dataDirectory, "-R", "-X", "stream", "-c", "fast"])
        // The copied configuration names the primary's port and socket directory: the command line wins.
        try await standby.run("pg_ctl", ["-D", standby.dataDirectory, "-l", directory + "/postgres.log", "-w", "-s", "-t", "60",
                                         "-o", "-p \(standby.port) -k \(directory) -c listen_addresses=127.0.0.1", "start"])
        return standby
    }

    /// Waits until the standby has replayed everything `primary` had written when this was called.
    func waitForReplay(of primary: PostgresGateway) async throws {
        // The insert position: with synchronous_commit = off (the test servers'), a commit may not be written out yet.
        let lsn = try await primary.query("SELECT pg_current_wal_insert_lsn()::text").rows.first?.first ?? nil
        let local = try PostgresGateway(configuration: .test(connectionString: databaseURL, poolSize: 1), logger: TestServers.quietLogger)
        defer { Task { await local.shutdown() } }
        let caughtUp = try await TestServers.eventually(timeout: .seconds(10)) {
            try await local.query("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", [lsn]).rows.first?.first == "t"
        }
        guard caughtUp else { throw HarnessError("the standby did not replay up to \(lsn ?? "?")") }
    }

    /// `pg_ctl promote`: the standby becomes a primary.
    func promote() async throws {
        try await run("pg_ctl", ["-D", dataDirectory, "-w", "-s", "-t", "30", "promote"])
    }

    /// Stops the server at once (off the cooperative pool) and removes its directory.
    func stop() async {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = try? await offThePool { [self] in self.stopBlocking() }
    }

    /// ``stop()`` on a thread of its own, not waited for (for a `defer`); nothing if already stopped.
    func stopInBackground() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Thread.detachNewThread { [self] in self.stopBlocking() }
    }

    private func stopBlocking() {
        let command = (getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []) + [binDirectory + "/pg_ctl", "-D", dataDirectory, "-m", "immediate", "-w", "-s", "stop"]
        _ = try? Subprocess.run(command, mergeOutput: true)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension EmbeddedStack {
    /// Kills PostgreSQL's postmaster and every child with SIGKILL, as a crashed host would look.
    func killPostgres() {
        for pid in postgresProcessIDs() { kill(pid, SIGKILL) }
    }
}
