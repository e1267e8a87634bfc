import DoormanAuth
import DoormanCore
import DoormanPostgres
import DoormanRedis
import Foundation
import Synchronization
import Testing

/// Issue 11, item 4: Redis through Sentinel, on a real master, replica and
/// three sentinels (``SentinelCluster``), with PostgreSQL from the shared stack.
@Suite("Redis through Sentinel")
struct SentinelTests {
    /// A login service whose cache is `redis+sentinel://` on `cluster`, with
    /// the default 250 ms Redis deadline, logging into `log`.
    static func service(_ cluster: SentinelCluster, log: CapturedLog, poolSize: Int = 2) throws -> TestService {
        let postgres = try PostgresGateway(configuration: .test(connectionString: TestServers.shared.databaseURL, poolSize: 2), logger: TestServers.quietLogger)
        let redis = try RedisGateway(configuration: RedisConfiguration(
            endpoint: try RedisEndpoint(url: cluster.url), commandTimeout: .milliseconds(250), poolSize: poolSize,
            namespace: "doorman-sentinel-\(UUID().uuidString.prefix(8))", retryBackoff: .milliseconds(50), maxRetryBackoff: .milliseconds(200)),
            logger: log.logger)
        let auth = AuthService(postgres: postgres, redis: redis, configuration: .init(bcryptCost: 4), logger: TestServers.quietLogger)
        return TestService(auth: auth, postgres: postgres, redis: redis)
    }

    @Test("the master SIGKILLed while users log in: no login fails, Redis hits are back within 10 s of the promotion, the switch is logged")
    func masterKilled() async throws {
        _ = TestServers.shared
        let cluster = try await SentinelCluster.start(name: "sentinel-kill")
        defer { cluster.stop() }
        try await withTaskExecutorPreference(DedicatedExecutor.shared) {
            let log = CapturedLog()
            let service = try Self.service(cluster, log: log)
            let redis = try #require(service.redis)
            let following = Task { try await redis.run() }  // as `doorman serve` runs it: follows +switch-master
            defer { following.cancel() }
            try await service.auth.prepare()
            let user = try await TestServers.makeUser(password: "sentinel pw")
            let first = await service.authenticate(username: user, password: "sentinel pw", origin: .http)
            #expect(first.isAuthenticated, "\(first.summary)")
            #expect(await TestServers.eventually(timeout: .seconds(10)) {
                await service.authenticate(username: user, password: "sentinel pw", origin: .http).source == .redis
            }, "a Redis hit through the master the sentinels name")
            #expect(redis.currentMaster == .init(host: "127.0.0.1", port: cluster.redisPorts[0]))

            // Logins in a loop; the master is SIGKILLed after a few; a watcher notes when a sentinel names the replica.
            let promoted = Mutex<ContinuousClock.Instant?>(nil)
            let watcher = Task {
                while !Task.isCancelled {
                    if try await cluster.masterPort() == cluster.redisPorts[1] { promoted.withLock { $0 = .now }; return }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            defer { watcher.cancel() }
            var outcomes: [(at: ContinuousClock.Instant, outcome: AuthOutcome)] = []
            var killedAt: ContinuousClock.Instant?
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if outcomes.count == 10 {
                    cluster.kill(cluster.redisPorts[0])
                    killedAt = .now
                }
                let outcome = await service.authenticate(username: user, password: "sentinel pw", origin: .http)
                outcomes.append((.now, outcome))
                if let at = promoted.withLock({ $0 }), outcomes.filter({ $0.at > at && $0.outcome.source == .redis }).count >= 5 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let failed = outcomes.filter { !$0.outcome.isAuthenticated }
            #expect(failed.isEmpty, "\(failed.count) of \(outcomes.count) logins failed: \(failed.map(\.outcome.summary))")
            let killed = try #require(killedAt)
            let promotion = try #require(promoted.withLock { $0 }, "Sentinel promoted the replica within 30 s")
            // (Doorman may hear +switch-master before the watcher's next poll: a hit just before `promotion` is fine.)
            let meanwhile = outcomes.filter { $0.at > killed && $0.at < promotion && $0.outcome.source == .postgres }
            #expect(meanwhile.count >= 10, "between the kill and the promotion PostgreSQL answers: \(meanwhile.count)")
            let hit = try #require(outcomes.first { $0.at > promotion && $0.outcome.source == .redis }, "Redis hits after the promotion")
            #expect(hit.at - promotion < .seconds(10), "the first Redis hit came \(hit.at - promotion) after the promotion")
            #expect(redis.currentMaster == .init(host: "127.0.0.1", port: cluster.redisPorts[1]))
            let lines = log.lines.withLock { $0 }
            #expect(lines.contains { $0.contains("redis master is now 127.0.0.1:\(cluster.redisPorts[1]) (sentinel)") }, "\(lines)")
            #expect(!lines.contains { $0.contains(SentinelCluster.password) })
            print("sentinel failover: kill → promotion seen \(promotion - killed), promotion → first Redis hit \(hit.at - promotion), "
                  + "\(meanwhile.count) logins through PostgreSQL meanwhile, \(outcomes.count) logins, \(failed.count) failed")
        }
    }

    @Test("the subscribed sentinel killed: Doorman subscribes on the next one and hears +switch-master with no command to tell it")
    func sentinelKilled() async throws {
        _ = TestServers.shared
        let cluster = try await SentinelCluster.start(name: "sentinel-resubscribe")
        defer { cluster.stop() }
        try await withTaskExecutorPreference(DedicatedExecutor.shared) {
            let log = CapturedLog()
            let service = try Self.service(cluster, log: log)
            let redis = try #require(service.redis)
            let following = Task { try await redis.run() }
            defer { following.cancel() }
            #expect(await TestServers.eventually(timeout: .seconds(5)) {
                log.lines.withLock { $0.contains { $0.contains("following +switch-master") && $0.contains("\(cluster.sentinelPorts[0])") } }
            }, "subscribed on the first sentinel")
            #expect(redis.currentMaster?.port == cluster.redisPorts[0])
            cluster.kill(cluster.sentinelPorts[0])
            #expect(await TestServers.eventually(timeout: .seconds(5)) {
                log.lines.withLock { $0.contains { $0.contains("following +switch-master") && $0.contains("\(cluster.sentinelPorts[1])") } }
            }, "subscribed on the next sentinel")
            // No command from here on: only the subscription can tell of the switch
            // (after the discovery that follows subscribing, given 500 ms to end).
            try await Task.sleep(for: .milliseconds(500))
            let discoveries = redis.sentinelDiscoveries
            cluster.kill(cluster.redisPorts[0])
            let killed = ContinuousClock.now
            #expect(await TestServers.eventually(timeout: .seconds(15)) { redis.currentMaster?.port == cluster.redisPorts[1] },
                    "the switch heard: \(log.lines.withLock { $0 })")
            #expect(redis.sentinelDiscoveries == discoveries, "told by +switch-master, not by asking")
            #expect(log.lines.withLock { $0.contains { $0.contains("redis master is now 127.0.0.1:\(cluster.redisPorts[1]) (sentinel)") && $0.contains("+switch-master") } })
            try await redis.ping()
            print("sentinel resubscribe: master kill → switch heard on the second sentinel \(ContinuousClock.now - killed)")
        }
    }

    @Test("a node that became a replica answers -READONLY: the sentinels are asked again and the next writes land on the new master")
    func readOnly() async throws {
        _ = TestServers.shared
        let cluster = try await SentinelCluster.start(name: "sentinel-readonly")
        defer { cluster.stop() }
        try await withTaskExecutorPreference(DedicatedExecutor.shared) {
            let log = CapturedLog()
            // No run(): no +switch-master subscription, so only the READONLY reply can tell it;
            // one connection, so that the next write meets the demoted node on the connection it had.
            let service = try Self.service(cluster, log: log, poolSize: 1)
            let redis = try #require(service.redis)
            let (oldMaster, newMaster) = (cluster.redisPorts[0], cluster.redisPorts[1])
            try await redis.set(Array("doorman-sentinel:before".utf8), Array("1".utf8), ttl: .seconds(60))
            #expect(redis.currentMaster?.port == oldMaster)
            #expect(try await cluster.cli(oldMaster, "GET", "doorman-sentinel:before").contains("1"))

            // A failover by hand: the sentinels promote the replica; the old master is made
            // its replica at once (Sentinel itself would do that some 8 s later).
            #expect(try await cluster.cli(cluster.sentinelPorts[0], "SENTINEL", "FAILOVER", SentinelCluster.masterName).contains("OK"))
            #expect(await TestServers.eventually(timeout: .seconds(15)) { (try? await cluster.masterPort()) == newMaster }, "the replica promoted")
            #expect(try await cluster.cli(oldMaster, "REPLICAOF", "127.0.0.1", String(newMaster)).contains("OK"))
            let demoted = ContinuousClock.now

            var readOnlyReplies = 0, otherErrors: [String] = []
            var landed: (key: String, at: ContinuousClock.Instant)?
            for index in 0..<500 {
                let key = "doorman-sentinel:after-\(index)"
                do {
                    try await redis.set(Array(key.utf8), Array("1".utf8), ttl: .seconds(60))
                    if redis.currentMaster?.port == newMaster, try await cluster.cli(newMaster, "GET", key).contains("1") {
                        landed = (key, .now)
                        break
                    }
                } catch let error as DoormanError {
                    if error.message.contains("READONLY") { readOnlyReplies += 1 } else { otherErrors.append(error.message) }
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            let write = try #require(landed, "a write landed on the new master (\(readOnlyReplies) READONLY, others: \(otherErrors))")
            #expect(readOnlyReplies >= 1, "the demoted node answered -READONLY (others: \(otherErrors))")
            #expect(write.at - demoted < .seconds(2), "\(write.at - demoted)")
            #expect(redis.currentMaster == .init(host: "127.0.0.1", port: newMaster))
            #expect(redis.sentinelDiscoveries >= 2, "the sentinels were asked again")
            let lines = log.lines.withLock { $0 }
            #expect(lines.contains { $0.contains("redis master is now 127.0.0.1:\(newMaster) (sentinel)") }, "\(lines)")
            print("sentinel READONLY: demotion → write on the new master \(write.at - demoted), \(readOnlyReplies) READONLY replies, other errors \(otherErrors.count)")
        }
    }

    @Test("doorman login with --redis-url redis+sentinel://: PostgreSQL the first time, Redis the second; no password in its output")
    func commandLine() async throws {
        let cluster = try await SentinelCluster.start(name: "sentinel-cli", failover: false)
        defer { cluster.stop() }
        let flags = ["--database-url", TestServers.shared.databaseURL, "--redis-url", cluster.url, "--redis-timeout", "2s", "--log-level", "info"]
        let first = try await DoormanBinary.run(["login", "john_doe"] + flags, input: "EXAMPLE_PASSWORD\n")
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.hasPrefix("Authenticated by PostgreSQL Server"), "\(first.standardOutput)")
        #expect(first.standardError.contains("redis master is now 127.0.0.1:\(cluster.redisPorts[0]) (sentinel)"), "\(first.standardError)")
        let second = try await DoormanBinary.run(["login", "john_doe"] + flags, input: "EXAMPLE_PASSWORD\n")
        #expect(second.status == 0, "\(second.standardError)")
        #expect(second.standardOutput.hasPrefix("Authenticated by Redis Server"), "\(second.standardOutput)")
        for text in [first.standardOutput, first.standardError, second.standardOutput, second.standardError] {
            #expect(!text.contains(SentinelCluster.password))
        }
    }

    @Test("rediss+sentinel://: TLS to the sentinels and the master (checked against --redis-cacert, the master by its IP address); a CA that signed nothing refused")
    func tls() async throws {
        let certificates = TestCertificates.shared
        let cluster = try await SentinelCluster.start(name: "sentinel-tls", failover: false, tls: certificates)
        defer { cluster.stop() }
        #expect(cluster.url.hasPrefix("rediss+sentinel://"))
        let endpoint = try RedisEndpoint(url: cluster.url)
        let redis = try RedisGateway(configuration: RedisConfiguration(endpoint: endpoint, commandTimeout: .seconds(2), caCertificateFile: certificates.caFile),
                                     logger: TestServers.quietLogger)
        try await redis.set(Array("doorman-sentinel:tls".utf8), Array("1".utf8), ttl: .seconds(60))
        #expect(redis.currentMaster == .init(host: "127.0.0.1", port: cluster.redisPorts[0]))
        #expect(try await cluster.cli(cluster.redisPorts[0], "GET", "doorman-sentinel:tls").contains("1"))

        let untrusting = try RedisGateway(configuration: RedisConfiguration(endpoint: endpoint, commandTimeout: .seconds(2),
                                                                            caCertificateFile: certificates.unrelatedCAFile), logger: TestServers.quietLogger)
        do {
            try await untrusting.ping()
            Issue.record("a sentinel whose certificate no trusted CA signed was believed")
        } catch let error as DoormanError {
            #expect(error.isUnavailable)
            #expect(error.message.contains("certificate verify failed"), "\(error.message)")
            #expect(untrusting.currentMaster == nil)
        }
    }

    @Test("an unknown master name or no sentinel answering: Redis is unavailable with a clear reason, and logins go to PostgreSQL")
    func unknownMaster() async throws {
        _ = TestServers.shared
        let cluster = try await SentinelCluster.start(name: "sentinel-unknown", failover: false)
        defer { cluster.stop() }
        let wrongName = cluster.url.replacingOccurrences(of: "/\(SentinelCluster.masterName)", with: "/no-such-master")
        let redis = try RedisGateway(configuration: RedisConfiguration(endpoint: try RedisEndpoint(url: wrongName)), logger: TestServers.quietLogger)
        await #expect(throws: DoormanError.self) { try await redis.ping() }
        try await Task.sleep(for: .milliseconds(300))
        do {
            try await redis.ping()
            Issue.record("a ping through an unknown master name succeeded")
        } catch let error as DoormanError {
            #expect(error.isUnavailable)
            #expect(error.message.contains("no sentinel knows a master named 'no-such-master'"), "\(error.message)")
            #expect(!error.message.contains(SentinelCluster.password))
        }

        let postgres = try PostgresGateway(configuration: .test(connectionString: TestServers.shared.databaseURL, poolSize: 1), logger: TestServers.quietLogger)
        let auth = AuthService(postgres: postgres, redis: redis, configuration: .init(bcryptCost: 4), logger: TestServers.quietLogger)
        let user = try await TestServers.makeUser(password: "unknown master pw")
        for _ in 0..<2 {
            let outcome = await auth.authenticate(username: user, password: "unknown master pw", origin: .http, client: .local)
            #expect(outcome.isAuthenticated && outcome.source == .postgres && outcome.cacheUnavailable, "\(outcome.summary)")
        }

        let nobody = try RedisGateway(configuration: RedisConfiguration(endpoint: try RedisEndpoint(url: "redis+sentinel://127.0.0.1:\(try FreePort.free())/mymaster")),
                                      logger: TestServers.quietLogger)
        let started = ContinuousClock.now
        await #expect(throws: DoormanError.self) { try await nobody.ping() }
        #expect(ContinuousClock.now - started < .milliseconds(600), "discovery never holds a command past its deadline: \(ContinuousClock.now - started)")
    }
}
