import DoormanCore
import DoormanHTTP
@testable import DoormanRedis
import DoormanRuntime
import DoormanUI
import Foundation
import ServiceLifecycle
import Testing

/// The fleet view: each instance's hash in Redis, read back by SCAN and
/// HGETALL, and `doorman fleet` over real `doorman serve` processes.
@Suite("Fleet view")
struct FleetTests {
    static func gateway() throws -> RedisGateway {
        try RedisGateway(configuration: RedisConfiguration(
            endpoint: try RedisEndpoint(url: TestServers.shared.redisURL), connectTimeout: .seconds(5), commandTimeout: .seconds(2),
            namespace: "doorman-fleet-test-\(UUID().uuidString.prefix(8))"), logger: TestServers.quietLogger)
    }

    @Test("published hashes read back by SCAN + HGETALL, with their expiry; other keys skipped; an expired one gone")
    func gatewayRoundTrip() async throws {
        let redis = try Self.gateway()
        let prefix = redis.configuration.fleetKeyPrefix
        let one = FleetMember(instance: "one", logins: [.redis: 5, .postgres: 2, .memory: 1], failures: 3, hitRatio: 0.625,
                              startedAt: 1_000, lastSeen: 2_000, version: "0.1.0", pid: 42)
        let two = FleetMember(instance: "two:8080", logins: [.postgres: 1], lastSeen: 3_000, version: "0.1.0", pid: 43)
        try await redis.publish(two, ttl: .seconds(30))
        try await redis.publish(one, ttl: .seconds(30))
        try await redis.run(["SET", prefix + "not-a-hash", "x"])
        try await redis.run(["HSET", prefix + "no-instance", "pid", "1"])
        let members = try await redis.fleet()
        #expect(members.map(\.instance) == ["one", "two:8080"])
        #expect(members.first == FleetMember(instance: "one", logins: [.redis: 5, .postgres: 2, .memory: 1], failures: 3, hitRatio: 0.625,
                                             startedAt: 1_000, lastSeen: 2_000, version: "0.1.0", pid: 42))
        let left = try #require(try await redis.timeLeft(Array((prefix + "one").utf8)))
        #expect(left > .seconds(25) && left <= .seconds(30))

        // A second publication replaces the first (no stale field survives); a short TTL expires.
        try await redis.publish(FleetMember(instance: "one", lastSeen: 4_000), ttl: .milliseconds(300))
        #expect(try await redis.fleet().first?.logins[.redis] == 0)
        try await Task.sleep(for: .milliseconds(600))
        #expect(try await redis.fleet().map(\.instance) == ["two:8080"])
        _ = try await redis.deleteKeys(matchingPrefix: Array(prefix.utf8))
        await redis.shutdown()
    }

    @Test("the publisher, as a service: publishes every period, counts logins, withdraws its hash on graceful shutdown")
    func publisherService() async throws {
        let redis = try Self.gateway()
        let statistics = AuthStatistics()
        statistics.record(AuthOutcome(username: "fleet_user", result: .authenticated(.redis)), origin: .http)
        let publisher = FleetPublisher(redis: redis, statistics: statistics,
                                       configuration: .init(period: .milliseconds(100), ttl: .seconds(2), version: "test"),
                                       logger: TestServers.quietLogger) { "publisher-test" }
        let group = ServiceGroup(configuration: .init(services: [publisher], gracefulShutdownSignals: [], logger: TestServers.quietLogger))
        let running = Task { try await group.run() }
        let seen = await TestServers.eventually(timeout: .seconds(5)) { (try? await redis.fleet())?.first?.logins[.redis] == 1 }
        #expect(seen)
        statistics.record(AuthOutcome(username: "fleet_user", result: .rejected), origin: .http)
        #expect(await TestServers.eventually(timeout: .seconds(5)) { (try? await redis.fleet())?.first?.failures == 1 })
        let member = try #require(try await redis.fleet().first)
        #expect(member.instance == "publisher-test" && member.version == "test" && member.pid == getpid())
        #expect(member.hitRatio == 1)
        #expect(publisher.published >= 2 && publisher.failures == 0)
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(try await redis.fleet().isEmpty, "withdrawn on shutdown")
        await redis.shutdown()
    }

    @Test("a publisher whose Redis is gone counts the failure and keeps going")
    func publisherFailure() async throws {
        let port = try FreePort.free()
        let redis = try RedisGateway(configuration: RedisConfiguration(
            endpoint: try RedisEndpoint(url: "redis://127.0.0.1:\(port)"), connectTimeout: .milliseconds(200), commandTimeout: .milliseconds(200)),
            logger: TestServers.quietLogger)
        let publisher = FleetPublisher(redis: redis, statistics: AuthStatistics(), configuration: .init(version: "test"),
                                       logger: TestServers.quietLogger) { "nowhere" }
        await publisher.publishOnce()
        await publisher.publishOnce()
        #expect(publisher.failures == 2 && publisher.published == 0)
        await redis.shutdown()
    }

    @Test("GET /fleet: the instances as JSON behind Basic auth; 401 without credentials")
    func httpEndpoint() async throws {
        let service = try TestServers.service()
        let redis = try #require(service.redis)
        try await redis.publish(FleetMember(instance: "http-test", logins: [.redis: 2], lastSeen: 9, version: "v", pid: 1), ttl: .seconds(30))
        let server = try await service.httpServer().start()
        let john = BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD")
        let response = try await RawHTTPClient.open(port: server.port).fetch("/fleet", authorization: john)
        #expect(response.status == 200)
        let members = try JSONDecoder().decode([FleetMember].self, from: Data(response.body))
        #expect(members == [FleetMember(instance: "http-test", logins: [.redis: 2, .postgres: 0, .memory: 0], lastSeen: 9, version: "v", pid: 1)])
        #expect(try await RawHTTPClient.open(port: server.port).fetch("/fleet").status == 401)

        // The UI's remote mode reads the same, with the logged-in user's credentials.
        let remote = try RemoteBackend(endpoint: RemoteEndpoint(url: "http://127.0.0.1:\(server.port)"))
        let seen = try await remote.fleet(as: try Credentials(username: "john_doe", password: "EXAMPLE_PASSWORD"))
        #expect(seen.map(\.instance) == ["http-test"])
        await #expect(throws: BackendError.self) { try await remote.fleet(as: nil) }
        await #expect(throws: BackendError.self) { try await remote.fleet(as: try Credentials(username: "john_doe", password: "wrong")) }
        await server.stop()
        _ = try await redis.deleteKeys(matchingPrefix: Array(redis.configuration.fleetKeyPrefix.utf8))
    }

    @Test("3 doorman serve processes: doorman fleet --json lists each with its logins; one killed leaves within the TTL, one stopped at once")
    func threeProcesses() async throws {
        let flags = DoormanBinary.serverFlags(redisDatabase: 7)
        let tag = UUID().uuidString.prefix(6).lowercased()
        let names = (1...3).map { "fleet-\(tag)-\($0)" }
        let ports = try names.map { _ in try FreePort.free() }
        let servers = try zip(ports, names).map { port, name in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: DoormanBinary.path)
            process.arguments = ["serve", "--port", String(port), "--instance-name", name] + flags
            process.environment = DoormanBinary.cleanEnvironment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        defer { for server in servers where server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        for port in ports { try await ScaleOutTests.waitForPort(port) }

        // Instance i: i + 1 good logins; the first also one wrong password.
        let good = BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD")
        for (index, port) in ports.enumerated() {
            for _ in 0...index {
                let response = try await RawHTTPClient.open(port: port).fetch("/products?limit=1", authorization: good)
                #expect(response.status == 200)
            }
        }
        let bad = BasicAuthorization.header(username: "john_doe", password: "wrong")
        #expect(try await RawHTTPClient.open(port: ports[0]).fetch("/products?limit=1", authorization: bad).status == 401)

        func fleet() async throws -> [String: FleetMember] {
            let result = try await DoormanBinary.run(["fleet", "--json"] + flags)
            #expect(result.status == 0, "\(result.standardError)")
            let members = try JSONDecoder().decode([FleetMember].self, from: Data(result.standardOutput.utf8))
            return Dictionary(members.filter { $0.instance.hasPrefix("fleet-\(tag)-") }.map { ($0.instance, $0) }) { $1 }
        }
        var listed: [String: FleetMember] = [:]
        let counted = try await TestServers.eventually(timeout: .seconds(5)) {
            listed = try await fleet()
            return names.enumerated().allSatisfy { listed[$1]?.totalLogins == $0 + 1 } && listed[names[0]]?.failures == 1
        }
        #expect(counted, "\(listed)")
        #expect(listed[names[1]]?.failures == 0)
        #expect(listed[names[0]]?.pid == servers[0].processIdentifier)

        // The table says the same, for people.
        let table = try await DoormanBinary.run(["fleet"] + flags)
        #expect(table.standardOutput.hasPrefix("INSTANCE"))
        #expect(names.allSatisfy { table.standardOutput.contains($0) })
        #expect(table.standardOutput.contains(" s ago"))

        // SIGTERM: the hash is withdrawn at once. SIGKILL: it expires (5 s TTL).
        kill(servers[1].processIdentifier, SIGTERM)
        kill(servers[2].processIdentifier, SIGKILL)
        let stopped = ContinuousClock.now
        let withdrawn = try await TestServers.eventually(timeout: .seconds(3)) { try await fleet()[names[1]] == nil }
        #expect(withdrawn, "a stopped instance withdraws its hash")
        let expired = try await TestServers.eventually(timeout: .seconds(8)) { try await fleet()[names[2]] == nil }
        let took = ContinuousClock.now - stopped
        #expect(expired && took < .seconds(7), "a killed instance left the list after \(took)")
        #expect(try await fleet()[names[0]] != nil, "the live one is still listed")
    }
}
