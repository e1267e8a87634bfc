import DoormanCore
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
        if !exchange("SHUTDOWN SAVE").connected {
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

    /// Whether the server answers `PING` on its unix socket within 500 ms.
    private func ping() -> Bool {
        exchange("PING").reply == "+PONG"
    }

    /// Sends one inline command over the unix socket and reads the first line
    /// of the reply, waiting 500 ms at most for each step. Blocking on
    /// purpose: the stack starts and stops on the caller's own thread, before
    /// and after anything runs on an event loop.
    private func exchange(_ command: String) -> (connected: Bool, reply: String?) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return (false, nil) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(layout.redisSocket.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { return (false, nil) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
            raw[path.count] = 0
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 500_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { return (false, nil) }
        let bytes = Array((command + "\r\n").utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { return (true, nil) }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        while !reply.contains(UInt8(ascii: "\n")) && reply.count < 4_096 {
            let count = read(fd, &chunk, chunk.count)
            guard count > 0 else { return (true, nil) }
            reply += chunk.prefix(count)
        }
        let line = reply.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        return (true, String(decoding: line, as: UTF8.self))
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
