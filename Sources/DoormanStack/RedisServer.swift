import DoormanCore
import DoormanRedis
import Foundation

/// The embedded Redis: `redis-server` with a generated config, daemonized,
/// on a unix socket only its account can use. The cache is written to disk
/// only when the server stops (`SHUTDOWN SAVE`) and read back when it starts,
/// so cached entries (with what is left of their TTLs) survive the stack
/// being stopped between two `doorman` commands.
struct RedisServer {
    let configuration: StackConfiguration
    let layout: Layout

    func serverPath() throws -> String {
        if let configured = configuration.redisServerPath {
            guard let found = ProcessRunner.find(configured) else {
                throw DoormanError(.configuration, "no redis-server at \(configured) (DOORMAN_REDIS_SERVER)")
            }
            return found
        }
        guard let found = ProcessRunner.find("redis-server") else {
            throw DoormanError(.stack, "the Redis server is not installed (apt-get install redis-server), or set DOORMAN_REDIS_SERVER")
        }
        return found
    }

    /// `true` when Redis answers `PING` on its socket.
    func isRunning() -> Bool {
        guard FileManager.default.fileExists(atPath: layout.redisSocket) else { return false }
        return ping()
    }

    func start(port: Int, tlsPort: Int?) throws {
        let server = try serverPath()
        var tls: StackTLS?
        if tlsPort != nil, let wanted = configuration.tls {
            tls = try layout.installTLS(wanted, into: layout.redisTLS, owner: layout.redisAccount)
        }
        try layout.writeFile(layout.redisConfig, settings(port: port, tlsPort: tlsPort, tls: tls), owner: layout.redisAccount)
        unlink(layout.redisSocket)
        try ProcessRunner.run(server, [layout.redisConfig], as: layout.redisAccount?.name, what: "starting Redis")
        let deadline = ContinuousClock.now + configuration.timeout
        while ContinuousClock.now < deadline {
            if FileManager.default.fileExists(atPath: layout.redisSocket) && ping() { return }
            usleep(10_000)
        }
        throw DoormanError(.stack, "Redis did not start within \(configuration.timeout.milliseconds)\(logTail(layout.redisLog).map { "; log: \($0)" } ?? "")")
    }

    func stop() throws {
        guard let text = try? String(contentsOfFile: layout.redisPidFile, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), processIsAlive(pid) else {
            return
        }
        // SHUTDOWN SAVE over the socket (the server closes the connection
        // instead of replying); SIGTERM if it cannot be asked, or if it has
        // not gone within a few seconds (a paused server drops the request).
        if let connection = try? connect() {
            _ = try? connection.command(["SHUTDOWN", "SAVE"])
        } else {
            kill(pid, SIGTERM)
        }
        let start = ContinuousClock.now
        var termSent = false
        while processIsAlive(pid) && ContinuousClock.now - start < configuration.timeout {
            if !termSent && ContinuousClock.now - start > .seconds(3) {
                kill(pid, SIGTERM)
                termSent = true
            }
            usleep(10_000)
        }
        if processIsAlive(pid) {
            kill(pid, SIGKILL)
            throw DoormanError(.stack, "Redis (pid \(pid)) did not stop on SIGTERM and was killed")
        }
    }

    func crash() throws {
        guard let text = try? String(contentsOfFile: layout.redisPidFile, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), processIsAlive(pid) else {
            throw DoormanError(.stack, "Redis is not running")
        }
        kill(pid, SIGKILL)
        while processIsAlive(pid) { usleep(5_000) }
        unlink(layout.redisSocket)
        unlink(layout.redisPidFile)
    }

    private func connect() throws -> RedisConnection {
        try RedisConnection(configuration: RedisConfiguration(
            endpoint: RedisEndpoint(transport: .unix(path: layout.redisSocket)),
            connectTimeout: .milliseconds(200), commandTimeout: .milliseconds(500)))
    }

    private func ping() -> Bool {
        (try? connect().command(["PING"])) == .status("PONG")
    }

    private func settings(port: Int, tlsPort: Int?, tls: StackTLS?) -> String {
        func quoted(_ path: String) -> String {
            "\"" + path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return """
        # Doorman's embedded Redis, rewritten at each start.
        port \(port)
        bind 127.0.0.1
        protected-mode yes
        unixsocket \(quoted(layout.redisSocket))
        unixsocketperm 700
        daemonize yes
        pidfile \(quoted(layout.redisPidFile))
        logfile \(quoted(layout.redisLog))
        dir \(quoted(layout.redisDirectory))
        save ""
        dbfilename cache.rdb
        appendonly no
        maxmemory 64mb
        maxmemory-policy volatile-ttl

        """ + tlsSettings(port: tlsPort, tls: tls, quoted: quoted)
    }

    /// A TLS port beside the unix socket (which stays plain, for the stack's
    /// own health checks); clients are not asked for certificates.
    private func tlsSettings(port: Int?, tls: StackTLS?, quoted: (String) -> String) -> String {
        guard let port, let tls else { return "" }
        var lines = [
            "tls-port \(port)",
            "tls-cert-file \(quoted(tls.certificateFile))",
            "tls-key-file \(quoted(tls.keyFile))",
            "tls-auth-clients no",
        ]
        if let ca = tls.caFile { lines.append("tls-ca-cert-file \(quoted(ca))") }
        return lines.joined(separator: "\n") + "\n"
    }
}
