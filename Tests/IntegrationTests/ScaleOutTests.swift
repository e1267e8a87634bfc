import DoormanAuth
import DoormanCore
import DoormanHTTP
import DoormanPasswords
import DoormanStack
import Foundation
import Testing

/// Several instances on one PostgreSQL and Redis, and HAProxy in front of them.
@Suite("Scale-out")
struct ScaleOutTests {
    @Test("3 instances and a password changed by SQL: all refuse the old password within 1 s")
    func threeInstances() async throws {
        let namespace = "doorman-fleet-\(UUID().uuidString.prefix(6))"
        var instances: [(TestService, TestServers.Listening)] = []
        for _ in 0..<3 { instances.append(try await TestServers.listeningService(namespace: namespace)) }
        defer { for (_, listening) in instances { listening.stop() } }
        let user = try await TestServers.makeUser(password: "old")
        for (service, _) in instances {
            #expect(await service.authenticate(username: user, password: "old", origin: .http).isAuthenticated)
        }
        let hash = try BCrypt.hash("new", cost: 4)
        _ = try await instances[0].0.postgres.query("UPDATE users SET pwd = $2 WHERE username = $1", [user, hash])
        let changed = ContinuousClock.now
        for (index, (service, _)) in instances.enumerated() {
            let refused = await TestServers.eventually(timeout: .seconds(3)) {
                await service.authenticate(username: user, password: "old", origin: .http).result == .rejected
            }
            #expect(refused, "instance \(index) still takes the old password")
        }
        let took = ContinuousClock.now - changed
        #expect(took < .seconds(1), "all three refused the old password after \(took)")
        for (service, _) in instances {
            #expect(await service.authenticate(username: user, password: "new", origin: .http).isAuthenticated)
        }
    }

    /// `doorman serve` on `port`, as its own process.
    static func serve(port: Int, name: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DoormanBinary.path)
        process.arguments = ["serve", "--port", String(port), "--instance-name", name, "--trusted-proxy", "127.0.0.1"]
            + DoormanBinary.serverFlags(redisDatabase: 6)
        process.environment = DoormanBinary.cleanEnvironment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func waitForPort(_ port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if (try? await RawHTTPClient.open(port: port)) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("nothing listens on \(port)")
    }

    @Test("HAProxy checking /healthz, with one instance killed (SIGKILL) mid-run: no request lost; X-Doorman-Instance says who answered")
    func haproxyFailover() async throws {
        let haproxy = try #require(Subprocess.find("haproxy") ?? (FileManager.default.isExecutableFile(atPath: "/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : nil),
                                   "haproxy is missing: run scripts/install-deps.sh --test (make test does)")
        let ports = [try FreePort.free(), try FreePort.free()]
        let front = try FreePort.free()
        let servers = try ports.enumerated().map { try Self.serve(port: $1, name: "doorman-\($0 + 1)") }
        defer { for server in servers where server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        for port in ports { try await Self.waitForPort(port) }

        let directory = TestServers.makeTemporaryDirectory(prefix: "doorman-test-haproxy")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // deploy/haproxy.cfg, on this test's ports.
        var config = try String(contentsOf: TestServers.packageRoot.appendingPathComponent("deploy/haproxy.cfg"), encoding: .utf8)
        config = config.replacingOccurrences(of: "bind 127.0.0.1:8000", with: "bind 127.0.0.1:\(front)")
            .replacingOccurrences(of: "127.0.0.1:8081", with: "127.0.0.1:\(ports[0])")
            .replacingOccurrences(of: "127.0.0.1:8082", with: "127.0.0.1:\(ports[1])")
            .replacingOccurrences(of: "    server doorman-3 127.0.0.1:8083 check\n", with: "")
            .replacingOccurrences(of: "inter 1s", with: "inter 200ms")
        try config.write(toFile: directory + "/haproxy.cfg", atomically: true, encoding: .utf8)
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: haproxy)
        proxy.arguments = ["-f", directory + "/haproxy.cfg", "-db"]
        proxy.standardOutput = FileHandle.nullDevice
        proxy.standardError = FileHandle.nullDevice
        try proxy.run()
        defer { kill(proxy.processIdentifier, SIGKILL) }
        try await Self.waitForPort(front)

        let john = BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD")
        var statuses: [Int: Int] = [:]
        var answeredBy: Set<String> = []
        for index in 0..<120 {
            if index == 40 { kill(servers[0].processIdentifier, SIGKILL) }
            let client = try await RawHTTPClient.open(port: front)
            let response = try await client.fetch("/products?limit=1", authorization: john)
            statuses[response.status, default: 0] += 1
            if let instance = response.header("X-Doorman-Instance") { answeredBy.insert(instance) }
        }
        #expect(statuses == [200: 120], "every request answered: \(statuses)")
        #expect(answeredBy == ["doorman-1", "doorman-2"], "\(answeredBy)")
    }
}
