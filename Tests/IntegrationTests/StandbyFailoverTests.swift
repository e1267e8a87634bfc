import DoormanAuth
import DoormanCore
import DoormanPasswords
@testable import DoormanPostgres
import DoormanRedis
import DoormanStack
import Foundation
import Synchronization
import Testing

/// A PostgreSQL primary with a streaming standby that takes over, reached
/// through a libpq multi-host URL with `target_session_attrs=read-write`.
@Suite("A standby that takes over")
struct StandbyFailoverTests {
    /// One login the loop made: when, whose, and how it ended.
    struct Attempt: Sendable {
        enum Kind: Sendable { case cached, uncached, wrongPassword }
        var at: ContinuousClock.Instant
        var kind: Kind
        var result: AuthOutcome.Result
    }

    @Test("Primary killed, standby promoted: logins recover within 10 s, cached ones never fail, no right password is refused; the listener follows and catches up")
    func failover() async throws {
        let primary = await TestServers.start(name: "ha-primary", tcp: true)
        defer { TestServers.stop(primary) }
        let standby = try await PostgresStandby.start(primary: primary)
        defer { standby.stopInBackground() }
        let primaryPort = try #require(primary.postgresTCPAddress?.port)
        let url = "postgresql://doorman@127.0.0.1:\(primaryPort),127.0.0.1:\(standby.port)/doorman?target_session_attrs=read-write"
        // Doorman's own deadlines (2 s), not the relaxed ones of other tests: this one is about an outage.
        let gateway = try PostgresGateway(configuration: PostgresConfiguration(connectionString: url, poolSize: 4, connectTimeout: 2, queryTimeout: .seconds(2)),
                                          logger: TestServers.quietLogger)
        // No throttle: the loop's wrong passwords would lock the account, which is not what this is about.
        let service = try TestServers.service(on: primary, throttle: .disabled, postgres: gateway)
        let listening = try await TestServers.listen(service)
        defer { listening.stop() }

        let cached = try await TestServers.makeUser(password: "cached-pw", on: primary)
        let uncached = try await TestServers.makeUser(password: "uncached-pw", on: primary)
        let changing = try await TestServers.makeUser(password: "old-pw", on: primary)
        for (user, password) in [(cached, "cached-pw"), (changing, "old-pw")] {
            #expect(await service.authenticate(username: user, password: password, origin: .http).source == .postgres)
        }
        #expect(await TestServers.eventually(timeout: .seconds(5)) { listening.listener.isListening })
        try await standby.waitForReplay(of: gateway)

        // Logins in a loop until told to stop: a cached user, an uncached one
        // (its entry flushed before each try), and a wrong password.
        let attempts = Mutex<[Attempt]>([])
        let stop = Atomic<Bool>(false)
        let loop = Task {
            while !stop.load(ordering: .acquiring) {
                // Each attempt is stamped with the time it started.
                let hitAt = ContinuousClock.now
                let hit = await service.authenticate(username: cached, password: "cached-pw", origin: .http)
                _ = try? await service.flushCache(for: uncached)
                let missAt = ContinuousClock.now
                let miss = await service.authenticate(username: uncached, password: "uncached-pw", origin: .http)
                let wrongAt = ContinuousClock.now
                let wrong = await service.authenticate(username: cached, password: "not-it", origin: .http)
                attempts.withLock {
                    $0.append(Attempt(at: hitAt, kind: .cached, result: hit.result))
                    $0.append(Attempt(at: missAt, kind: .uncached, result: miss.result))
                    $0.append(Attempt(at: wrongAt, kind: .wrongPassword, result: wrong.result))
                }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        primary.killPostgres()
        let killed = ContinuousClock.now
        // A second with no primary at all, as before a failover manager acts.
        try await Task.sleep(for: .seconds(1))
        try await standby.promote()
        let promoted = ContinuousClock.now

        // A password changed on the new primary right away, maybe before the listener is back.
        let newPrimary = try PostgresGateway(configuration: .test(connectionString: standby.databaseURL, poolSize: 1), logger: TestServers.quietLogger)
        try await newPrimary.query("UPDATE users SET pwd = $2 WHERE username = $1", [changing, try BCrypt.hash("new-pw", cost: 4)])
        let changed = ContinuousClock.now
        let refused = await TestServers.eventually(timeout: .seconds(10)) {
            await service.authenticate(username: changing, password: "old-pw", origin: .http).result == .rejected
        }
        let refusedAfter = ContinuousClock.now - changed
        #expect(refused, "the old password is still accepted after the failover")
        #expect(refusedAfter < .seconds(2), "refused \(refusedAfter) after the change on the new primary")
        #expect(await service.authenticate(username: changing, password: "new-pw", origin: .http).isAuthenticated)

        let recovered = await TestServers.eventually(timeout: .seconds(12)) {
            attempts.withLock { $0.contains { $0.at > promoted && $0.kind == .uncached && $0.result == .authenticated(.postgres) } }
        }
        try await Task.sleep(for: .milliseconds(500))
        stop.store(true, ordering: .releasing)
        await loop.value
        #expect(recovered, "no uncached login succeeded after the promotion")

        let all = attempts.withLock { $0 }
        let firstRecovery = all.first { $0.at > killed && $0.kind == .uncached && $0.result == .authenticated(.postgres) }
        if let firstRecovery {
            #expect(firstRecovery.at - killed < .seconds(10), "logins recovered \(firstRecovery.at - killed) after the kill")
        }
        for attempt in all {
            switch attempt.kind {
            case .cached:
                #expect(attempt.result == .authenticated(.redis), "a cached login failed: \(attempt.result) at \(attempt.at - killed) from the kill")
            case .uncached:
                #expect(attempt.result == .authenticated(.postgres) || attempt.result == .unavailable,
                        "an uncached login got \(attempt.result) at \(attempt.at - killed) from the kill")
            case .wrongPassword:
                #expect(attempt.result == .rejected || attempt.result == .unavailable, "a wrong password got \(attempt.result)")
            }
        }
        let unavailable = all.filter { $0.kind == .uncached && $0.result == .unavailable }.count
        let cachedDuringOutage = all.filter { $0.kind == .cached && $0.at > killed && $0.at < promoted }.count
        #expect(cachedDuringOutage > 0, "the loop ran while there was no primary")
        print("failover: killed → promoted \(promoted - killed); first PostgreSQL login \(firstRecovery.map { "\($0.at - killed)" } ?? "never") after the kill; \(all.count) logins (\(cachedDuringOutage) cached ones with no primary), \(unavailable) uncached ones unavailable; change refused after \(refusedAfter)")
        #expect(listening.listener.isListening)
        await standby.stop()
    }

    /// A pooled connection on a read-only server: `gateway` reaches the standby straight, as a URL without `target_session_attrs` could.
    func checkReadOnlyServer(_ gateway: PostgresGateway, user: String) async throws {
        #expect(try await gateway.passwordRecord(for: user) != nil, "reads work on a standby")
        #expect(gateway.pool.openCount == 1)
        let failuresBefore = gateway.health.snapshot().failures
        do {
            try await gateway.setPasswordHash(try BCrypt.hash("other", cost: 4), for: user)
            Issue.record("a write on a standby succeeded")
        } catch let error as DoormanError {
            #expect(error.kind == .unavailable, "\(error)")
            #expect(error.message.contains("read-only"), "\(error.message)")
        }
        #expect(gateway.pool.openCount == 0, "connections to the read-only server were closed")
        #expect(gateway.health.snapshot().lastFailureReason == "read-only server")
        #expect(gateway.health.snapshot().failures - failuresBefore == 2, "tried twice: on the pooled connection, then on a new one")
    }

    @Test("--read-database-url: lookups on a lagging standby never let the old password in nor keep the new one out (retried on the primary); a connection to a read-only server is never kept (SQLSTATE 25006: closed, the call retried once)")
    func readFromStandby() async throws {
        let primary = await TestServers.start(name: "read-primary", tcp: true)
        defer { TestServers.stop(primary) }
        let standby = try await PostgresStandby.start(primary: primary, name: "read-standby")
        defer { standby.stopInBackground() }
        let primaryPort = try #require(primary.postgresTCPAddress?.port)
        let postgres = try PostgresGateway(configuration: .test(connectionString: primary.databaseURL, poolSize: 2), logger: TestServers.quietLogger)
        let replica = try PostgresGateway(configuration: .test(
            connectionString: "postgresql://doorman@127.0.0.1:\(primaryPort),127.0.0.1:\(standby.port)/doorman?target_session_attrs=prefer-standby", poolSize: 2),
            logger: TestServers.quietLogger)
        let redis = try RedisGateway(configuration: RedisConfiguration(
            endpoint: try RedisEndpoint(url: primary.redisURL), commandTimeout: .seconds(2), namespace: "doorman-test-read"), logger: TestServers.quietLogger)
        let auth = AuthService(postgres: postgres, redis: redis, replica: replica, configuration: .init(throttle: .disabled), logger: TestServers.quietLogger)
        let service = TestService(auth: auth, postgres: postgres, redis: redis)
        let listening = try await TestServers.listen(service)
        defer { listening.stop() }
        #expect(await TestServers.eventually(timeout: .seconds(5)) { listening.listener.isListening })

        let user = try await TestServers.makeUser(password: "first", on: primary)
        try await standby.waitForReplay(of: postgres)
        try await checkReadOnlyServer(try PostgresGateway(configuration: .test(connectionString: standby.databaseURL, poolSize: 2), logger: TestServers.quietLogger), user: user)
        let before = replica.health.snapshot().successes
        #expect(await service.authenticate(username: user, password: "first", origin: .http).source == .postgres)
        #expect(replica.health.snapshot().successes > before, "the lookup went to the standby")
        #expect(try await replica.query("SELECT pg_is_in_recovery()::text").rows.first?.first == "true", "prefer-standby chose the standby")

        // The standby stops replaying; the password changes on the primary.
        let paused = try PostgresGateway(configuration: .test(connectionString: standby.databaseURL, poolSize: 1), logger: TestServers.quietLogger)
        try await paused.query("SELECT pg_wal_replay_pause()")
        let oldVersion = try #require(try await postgres.passwordRecord(for: user)).version
        try await postgres.setPasswordHash(try BCrypt.hash("second", cost: 4), for: user)
        #expect(await TestServers.eventually(timeout: .seconds(5)) { !service.freshness.accepts(oldVersion, for: user) },
                "the change feed told this process of the change")
        #expect(try await replica.passwordRecord(for: user)?.version == oldVersion, "the standby lags: it still has the old password")

        #expect(await service.authenticate(username: user, password: "second", origin: .http).source == .postgres, "the new password works (asked of the primary)")
        _ = try await service.flushCache(for: user)
        #expect(await service.authenticate(username: user, password: "first", origin: .http).result == .rejected, "the old one is refused")
        // A user the standby has not seen yet is found on the primary.
        let newcomer = try await TestServers.makeUser(password: "fresh", on: primary)
        #expect(await service.authenticate(username: newcomer, password: "fresh", origin: .http).source == .postgres)
        _ = try? await paused.query("SELECT pg_wal_replay_resume()")
        await standby.stop()
    }
}
