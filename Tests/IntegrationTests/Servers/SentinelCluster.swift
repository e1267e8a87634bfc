import DoormanStack
import Foundation

/// A Redis master, one replica (`--replicaof`) and three sentinels (quorum 2,
/// down-after-milliseconds 1000, failover-timeout 3000), on free loopback
/// ports under a temporary directory: what Doorman's `redis+sentinel://`
/// tests fail over. Each sentinel has its own writable config file (it
/// rewrites it). Every process is started here, daemonised with a pid file,
/// and ``stop()`` kills exactly those pids.
final class SentinelCluster: Sendable {
    static let masterName = "mymaster"
    /// The master's and the replica's `requirepass` (the sentinels have none),
    /// so that the tests see Doorman log in to the master it finds and keep
    /// the password out of every line.
    static let password = "sentinel-pw-\(UUID().uuidString.prefix(8))"

    let directory: String
    /// With TLS (`rediss+sentinel://`): every server listens only on a TLS port
    /// with ``TestCertificates`` (`localhost`, `127.0.0.1`), replicas and
    /// sentinels connect with TLS (`tls-replication yes`).
    let certificates: TestCertificates?
    /// The first master's port (``redisPorts``[0]) and the replica's ([1]).
    let redisPorts: [Int]
    let sentinelPorts: [Int]

    /// The URL Doorman is given.
    var url: String {
        "\(certificates == nil ? "redis" : "rediss")+sentinel://:\(Self.password)@" + sentinelPorts.map { "127.0.0.1:\($0)" }.joined(separator: ",") + "/\(Self.masterName)"
    }

    private init(directory: String, redisPorts: [Int], sentinelPorts: [Int], certificates: TestCertificates?) {
        self.directory = directory
        self.certificates = certificates
        self.redisPorts = redisPorts
        self.sentinelPorts = sentinelPorts
    }

    /// Starts the five servers (off the cooperative pool) and waits until the
    /// replica is in sync and the sentinels know the replica and each other
    /// (`SENTINEL CKQUORUM` says 3 usable), so that a failover can happen; with
    /// `failover: false` only until every sentinel answers (the sentinels find
    /// each other through the master's hello messages, every 2 s: seconds saved).
    static func start(name: String, failover: Bool = true, tls: TestCertificates? = nil) async throws -> SentinelCluster {
        let redisServer = try Self.program("redis-server"), redisSentinel = try Self.program("redis-sentinel")
        let directory = TestServers.makeTemporaryDirectory(prefix: "doorman-test-\(name)")
        let ports = try (0..<5).map { _ in try FreePort.free() }
        let cluster = SentinelCluster(directory: directory, redisPorts: Array(ports[0..<2]), sentinelPorts: Array(ports[2...]), certificates: tls)
        let tlsOptions: [(String, String)] = tls.map { [("tls-cert-file", $0.serverCertificate), ("tls-key-file", $0.serverKey),
                                                       ("tls-ca-cert-file", $0.caFile), ("tls-auth-clients", "no"), ("tls-replication", "yes")] } ?? []
        do {
            try await offThePool {
                for (index, port) in cluster.redisPorts.enumerated() {
                    let listen = tls == nil ? ["--port", String(port)] : ["--port", "0", "--tls-port", String(port)] + tlsOptions.flatMap { ["--\($0.0)", $0.1] }
                    var arguments = [redisServer] + listen + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                     "--requirepass", password, "--masterauth", password,
                                     "--repl-diskless-sync-delay", "0", "--daemonize", "yes", "--pidfile", cluster.pidFile(port), "--logfile", "\(directory)/redis-\(port).log", "--dir", directory]
                    if index == 1 { arguments += ["--replicaof", "127.0.0.1", String(cluster.redisPorts[0])] }
                    try Self.check(Subprocess.run(arguments), "redis-server on \(port)")
                }
                for port in cluster.sentinelPorts {
                    let file = "\(directory)/sentinel-\(port).conf"
                    let listen = tls == nil ? "port \(port)" : "port 0\ntls-port \(port)\n" + tlsOptions.map { "\($0.0) \($0.1)" }.joined(separator: "\n")
                    try """
                        \(listen)
                        bind 127.0.0.1
                        daemonize yes
                        pidfile \(cluster.pidFile(port))
                        logfile \(directory)/sentinel-\(port).log
                        dir \(directory)
                        sentinel monitor \(masterName) 127.0.0.1 \(cluster.redisPorts[0]) 2
                        sentinel down-after-milliseconds \(masterName) 1000
                        sentinel failover-timeout \(masterName) 3000
                        sentinel auth-pass \(masterName) \(password)

                        """.write(toFile: file, atomically: true, encoding: .utf8)
                    try Self.check(Subprocess.run([redisSentinel, file]), "redis-sentinel on \(port)")
                }
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while true {
                // (Redis 7 waits repl-diskless-sync-delay, 5 s by default, before a first sync: 0 here.)
                var synced = true
                if failover { synced = try await cluster.cli(cluster.redisPorts[1], "INFO", "replication").contains("master_link_status:up") }
                var quorum = true
                for port in cluster.sentinelPorts where quorum && !failover {
                    quorum = try await cluster.cli(port, "PING").contains("PONG")
                }
                for port in cluster.sentinelPorts where quorum && failover {
                    let usable = try await cluster.cli(port, "SENTINEL", "CKQUORUM", masterName).contains("3 usable")
                    let replicas = try await cluster.cli(port, "SENTINEL", "REPLICAS", masterName)
                    quorum = usable && replicas.contains(String(cluster.redisPorts[1]))
                }
                if synced && quorum { break }
                guard ContinuousClock.now < deadline else {
                    throw SentinelClusterError(message: "the sentinels did not come together within 30 s (logs in \(directory))")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    /// The pid of the server on `port`, from its pid file.
    func pid(_ port: Int) -> pid_t? {
        (try? String(contentsOfFile: pidFile(port), encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// SIGKILLs the server on `port` (one this cluster started).
    func kill(_ port: Int) {
        if let pid = pid(port) { Foundation.kill(pid, SIGKILL) }
    }

    /// Kills every server this cluster started and removes its directory.
    func stop() {
        for port in redisPorts + sentinelPorts { kill(port) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The port of the master the first sentinel that answers names.
    func masterPort() async throws -> Int? {
        for port in sentinelPorts {
            let lines = try await cli(port, "SENTINEL", "get-master-addr-by-name", Self.masterName).split(separator: "\n")
            if lines.count == 2, let master = Int(lines[1].trimmingCharacters(in: .whitespaces)) { return master }
        }
        return nil
    }

    /// `redis-cli -p PORT ARGS…`'s output (off the cooperative pool), logged
    /// in when `port` is one of the Redis servers.
    func cli(_ port: Int, _ arguments: String...) async throws -> String {
        let login = redisPorts.contains(port) ? ["-a", Self.password, "--no-auth-warning"] : []
        let tls = certificates.map { ["--tls", "--cacert", $0.caFile] } ?? []
        let command = [try Self.program("redis-cli"), "-h", "127.0.0.1", "-p", String(port)] + tls + login + arguments
        return try await offThePool { try Subprocess.run(command).standardOutput }
    }

    private func pidFile(_ port: Int) -> String { "\(directory)/\(port).pid" }

    private static func program(_ name: String) throws -> String {
        guard let path = Subprocess.find(name) else {
            throw SentinelClusterError(message: "\(name) is missing: run scripts/install-deps.sh --test (make test does)")
        }
        return path
    }

    private static func check(_ result: Subprocess.Result, _ what: String) throws {
        guard result.status == 0 else {
            throw SentinelClusterError(message: "\(what) did not start (\(result.status)): \(result.standardError)\(result.standardOutput)")
        }
    }
}

struct SentinelClusterError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
