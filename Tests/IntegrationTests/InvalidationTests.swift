@testable import DoormanAuth
import DoormanCore
import DoormanPasswords
import DoormanPostgres
import DoormanRedis
import Foundation
import Testing

/// Password changes and deletions reach every process at once; a racing cache
/// fill or a copied entry cannot bring an old hash back.
@Suite("Invalidation and cache integrity")
struct InvalidationTests {
    let namespace = "doorman-test-\(UUID().uuidString.prefix(8))"

    func sql(_ statement: String, _ parameters: [String?]) async throws {
        let admin = try PostgresGateway(configuration: PostgresConfiguration.test(connectionString: TestServers.shared.databaseURL, poolSize: 1))
        try await admin.query(statement, parameters)
    }

    @Test("a password changed with plain SQL reaches another running process at once")
    func plainSQLChange() async throws {
        let (a, listenerA) = try await TestServers.listeningService(namespace: namespace)
        let (b, listenerB) = try await TestServers.listeningService(namespace: namespace)
        defer { listenerA.stop(); listenerB.stop() }
        let user = try await TestServers.makeUser(password: "before")
        #expect(await a.authenticate(username: user, password: "before", origin: .cli).source == .postgres)
        #expect(await b.authenticate(username: user, password: "before", origin: .cli).source == .redis, "B reads A's entry")

        let old = try #require(try await a.postgres.passwordRecord(for: user)).version
        try await sql("UPDATE users SET pwd = crypt($2, gen_salt('bf', 4)) WHERE username = $1", [user, "after"])
        #expect(await TestServers.eventually { !b.freshness.accepts(old, for: user) }, "B heard of the change")
        #expect(await TestServers.eventually { !a.freshness.accepts(old, for: user) }, "A heard of the change")
        #expect(try await TestServers.eventually { try await b.redis!.cachedValue(for: user) == nil }, "the entry was dropped")
        #expect(await b.authenticate(username: user, password: "before", origin: .cli).result == .rejected)
        #expect(await b.authenticate(username: user, password: "after", origin: .cli).source == .postgres)
        // (Redis or PostgreSQL: A's own eviction of the changed user may land after B's new entry.)
        #expect(await a.authenticate(username: user, password: "after", origin: .cli).isAuthenticated)
        #expect(await a.authenticate(username: user, password: "before", origin: .cli).result == .rejected)
    }

    @Test("a user deleted with plain SQL can no longer log in from the cache")
    func plainSQLDelete() async throws {
        let (a, listener) = try await TestServers.listeningService(namespace: namespace)
        defer { listener.stop() }
        let user = try await TestServers.makeUser(password: "doomed")
        #expect(await a.authenticate(username: user, password: "doomed", origin: .cli).source == .postgres)
        try await sql("DELETE FROM users WHERE username = $1", [user])
        #expect(try await TestServers.eventually { try await a.redis!.cachedValue(for: user) == nil })
        #expect(await a.authenticate(username: user, password: "doomed", origin: .cli).result == .rejected)
    }

    @Test("an old entry written back after a change (a racing fill, or a replay) is refused, also by a process started later")
    func replayedEntry() async throws {
        let (a, listener) = try await TestServers.listeningService(namespace: namespace)
        defer { listener.stop() }
        let redis = try #require(a.redis)
        let user = try await TestServers.makeUser(password: "old secret")
        #expect(await a.authenticate(username: user, password: "old secret", origin: .cli).source == .postgres)
        let oldEntry = try #require(try await redis.cachedValue(for: user))

        let old = try #require(try await a.postgres.passwordRecord(for: user)).version
        try await a.postgres.setPasswordHash(try BCrypt.hash("new secret", cost: 4), for: user)
        #expect(await TestServers.eventually { !a.freshness.accepts(old, for: user) })
        try await redis.cacheValue(oldEntry, for: user)  // what a late fill, or an attacker with a copy, would write

        #expect(await a.authenticate(username: user, password: "old secret", origin: .cli).result == .rejected)
        // A process that was not running when the change was announced learns of it from doorman_user_changes.
        let (later, laterListener) = try await TestServers.listeningService(namespace: namespace)
        defer { laterListener.stop() }
        try await redis.cacheValue(oldEntry, for: user)
        #expect(await later.authenticate(username: user, password: "old secret", origin: .cli).result == .rejected)
        #expect(await later.authenticate(username: user, password: "new secret", origin: .cli).source == .postgres)
    }

    @Test("a fill that races with a password change does not leave the old hash in Redis")
    func racingFill() async throws {
        let (a, listener) = try await TestServers.listeningService(namespace: namespace)
        defer { listener.stop() }
        let redis = try #require(a.redis)
        let user = try await TestServers.makeUser(password: "v1 password")
        let stale = try #require(try await a.postgres.passwordRecord(for: user))  // read before the change...

        try await a.postgres.setPasswordHash(try BCrypt.hash("v2 password", cost: 4), for: user)
        #expect(await TestServers.eventually { !a.freshness.accepts(stale.version, for: user) })
        await a.auth.stages.cache!.fill(stale, for: user)                      // ...written after it
        #expect(try await redis.cachedValue(for: user) == nil)

        // The other order: the stale write lands first, the change's eviction after it.
        let user2 = try await TestServers.makeUser(password: "first")
        let stale2 = try #require(try await a.postgres.passwordRecord(for: user2))
        await a.auth.stages.cache!.fill(stale2, for: user2)
        #expect(try await redis.cachedValue(for: user2) != nil)
        try await a.postgres.setPasswordHash(try BCrypt.hash("second", cost: 4), for: user2)
        #expect(try await TestServers.eventually { try await redis.cachedValue(for: user2) == nil })
    }

    @Test("entries written without the signing key authenticate no one", arguments: ["no MAC", "wrong MAC", "other user's entry", "expired", "garbage"])
    func forgedEntries(kind: String) async throws {
        let service = try TestServers.service(namespace: namespace)
        let redis = try #require(service.redis)
        let user = try await TestServers.makeUser(password: "the real one")
        let other = try await TestServers.makeUser(password: "attacker's own")
        let attackerHash = try BCrypt.hash("attacker's pick", cost: 4)
        let key = try await service.postgres.cacheSigningKey()
        let now = Int64(Date().timeIntervalSince1970)
        let forged: String
        switch kind {
        case "no MAC": forged = "v1|999999999|\(now + 300)|\(attackerHash)|"
        case "wrong MAC": forged = "v1|999999999|\(now + 300)|\(attackerHash)|" + String(repeating: "ab", count: 32)
        case "other user's entry":
            #expect(await service.authenticate(username: other, password: "attacker's own", origin: .cli).source == .postgres)
            forged = try #require(try await redis.cachedValue(for: other))
        case "expired":
            let record = try #require(try await service.postgres.passwordRecord(for: user))
            forged = CacheEntry(hash: attackerHash, version: record.version, expiresAt: now - 1).encoded(for: user, key: key)
        default: forged = "\(attackerHash)"
        }
        try await redis.cacheValue(forged, for: user)
        let password = kind == "other user's entry" ? "attacker's own" : "attacker's pick"
        let outcome = await service.authenticate(username: user, password: password, origin: .cli)
        #expect(outcome.result == .rejected)
        // The bad entry is gone and the real password still works (from PostgreSQL).
        #expect(await service.authenticate(username: user, password: "the real one", origin: .cli).source == .postgres)
    }

    @Test("the signing key is in PostgreSQL, 32 random bytes, never in Redis")
    func signingKey() async throws {
        let service = try TestServers.service(namespace: namespace)
        let key = try await service.postgres.cacheSigningKey()
        #expect(key.count == 32)
        #expect(await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli).isAuthenticated)
        let value = try #require(try await service.redis!.cachedValue(for: "john_doe"))
        #expect(!value.contains(Digest.hex(key)))
    }
}
