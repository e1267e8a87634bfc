import DoormanAuth
import DoormanCore
import DoormanPasswords
import DoormanPostgres
import DoormanRedis
import Foundation
import Testing

/// The cache-aside login against real PostgreSQL and Redis.
@Suite("Cache-aside login")
struct AuthServiceTests {
    @Test("the seed's john_doe: first login from PostgreSQL, second from Redis")
    func firstPostgresThenRedis() async throws {
        let service = try TestServers.service()
        let first = await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli)
        #expect(first.result == .authenticated(.postgres))
        #expect(first.cacheUnavailable == false)
        #expect(first.bcryptDuration > .zero)
        #expect(first.lookupDuration > .zero)
        let second = await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli)
        #expect(second.result == .authenticated(.redis))
        #expect(second.summary.hasPrefix("Authenticated by Redis Server (lookup "))
        let third = await service.authenticate(username: "mary_smith", password: "EXAMPLE_PASSWORD_2", origin: .cli)
        #expect(third.result == .authenticated(.postgres))
    }

    @Test("a wrong password fails on the PostgreSQL path and on the Redis path")
    func wrongPassword() async throws {
        let service = try TestServers.service()
        let user = try await TestServers.makeUser(password: "right horse battery")
        let uncached = await service.authenticate(username: user, password: "wrong", origin: .cli)
        #expect(uncached.result == .rejected)
        #expect(try await service.redis!.cachedValue(for: user) == nil, "a failed login caches nothing")

        #expect(await service.authenticate(username: user, password: "right horse battery", origin: .cli).result == .authenticated(.postgres))
        #expect(try await service.redis!.cachedValue(for: user) != nil)
        let cached = await service.authenticate(username: user, password: "wrong", origin: .cli)
        #expect(cached.result == .rejected)
        #expect(cached.summary == "Authentication failed.")
        // The cached copy is still good after a wrong guess.
        #expect(await service.authenticate(username: user, password: "right horse battery", origin: .cli).result == .authenticated(.redis))
    }

    @Test("an unknown user fails, and still pays for one bcrypt check")
    func unknownUser() async throws {
        let service = try TestServers.service()
        let outcome = await service.authenticate(username: "nobody_\(UUID().uuidString.prefix(8))", password: "whatever", origin: .cli)
        #expect(outcome.result == .rejected)
        #expect(outcome.bcryptDuration > .milliseconds(5), "the dummy hash is cost 10; checking it takes tens of milliseconds")
    }

    @Test("malformed credentials are rejected without touching the stores")
    func malformedCredentials() async throws {
        let service = try TestServers.service()
        for (user, password) in [("", "x"), ("john_doe", ""), ("john\u{0}doe", "x"), ("john_doe", String(repeating: "p", count: 73)),
                                 (String(repeating: "u", count: 51), "x"), ("john_doe", "EXAMPLE_PASSWORD\n")] {
            let outcome = await service.authenticate(username: user, password: password, origin: .cli)
            #expect(outcome.result == .rejected)
            #expect(outcome.lookupDuration == .zero)
        }
    }

    @Test("the cache key is namespaced and has a TTL")
    func keyAndTTL() async throws {
        let service = try TestServers.service(ttl: .seconds(120))
        let redis = try #require(service.redis)
        let user = try await TestServers.makeUser(password: "pw-for-ttl")
        #expect(await service.authenticate(username: user, password: "pw-for-ttl", origin: .cli).source == .postgres)
        let key = String(decoding: redis.key(for: user), as: UTF8.self)
        #expect(key == redis.configuration.namespace + ":auth:" + user)
        let ttl = try #require(try await redis.timeToLive(for: user))
        #expect(ttl > 0 && ttl <= 120)
        // Never the raw username as the seed did.
        #expect(try await redis.run([Array("EXISTS".utf8), Array(user.utf8)]) == .integer(0))
        // The cached value is a signed entry holding the hash from PostgreSQL.
        let value = try #require(try await redis.cachedValue(for: user))
        let hash = try #require(try await service.postgres.passwordHash(for: user))
        #expect(value.hasPrefix("v1|") && value.contains("|\(hash)|"))
    }

    @Test("a password changed in PostgreSQL wins over a stale cached hash")
    func staleCachedHash() async throws {
        let service = try TestServers.service()
        let user = try await TestServers.makeUser(password: "old password")
        #expect(await service.authenticate(username: user, password: "old password", origin: .cli).source == .postgres)
        try await service.postgres.setPasswordHash(try BCrypt.hash("new password", cost: 4), for: user)
        // Redis still holds the old hash: the new password misses it and goes to PostgreSQL.
        let outcome = await service.authenticate(username: user, password: "new password", origin: .cli)
        #expect(outcome.source == .postgres)
        #expect(await service.authenticate(username: user, password: "new password", origin: .cli).source == .redis)
        #expect(await service.authenticate(username: user, password: "old password", origin: .cli).result == .rejected)
    }

    @Test("a deleted user's cached hash is dropped on the next failed login")
    func deletedUser() async throws {
        let service = try TestServers.service()
        let user = try await TestServers.makeUser(password: "to be deleted")
        #expect(await service.authenticate(username: user, password: "to be deleted", origin: .cli).source == .postgres)
        try await service.postgres.deleteUser(user)
        #expect(await service.authenticate(username: user, password: "not it", origin: .cli).result == .rejected)
        #expect(try await service.redis!.cachedValue(for: user) == nil)
    }

    @Test("flushing one user sends the next login to PostgreSQL")
    func flushOne() async throws {
        let service = try TestServers.service()
        let user = try await TestServers.makeUser(password: "flush me")
        #expect(await service.authenticate(username: user, password: "flush me", origin: .cli).source == .postgres)
        #expect(await service.authenticate(username: user, password: "flush me", origin: .cli).source == .redis)
        #expect(try await service.flushCache(for: user) == true)
        #expect(try await service.flushCache(for: user) == false)
        #expect(await service.authenticate(username: user, password: "flush me", origin: .cli).source == .postgres)
    }

    @Test("flushing all removes only Doorman's keys under its prefix")
    func flushAll() async throws {
        let service = try TestServers.service()
        let redis = try #require(service.redis)
        for name in ["john_doe", "mary_smith"] {
            _ = await service.authenticate(username: name, password: name == "john_doe" ? "EXAMPLE_PASSWORD" : "EXAMPLE_PASSWORD_2", origin: .cli)
        }
        let foreign = Array("unrelated:\(UUID().uuidString)".utf8)
        try await redis.run([Array("SET".utf8), foreign, Array("keep me".utf8)])
        #expect(try await service.flushCache() == 2)
        #expect(try await redis.cachedValue(for: "john_doe") == nil)
        #expect(try await redis.run([Array("GET".utf8), foreign]) == .string(Array("keep me".utf8)))
        try await redis.run([Array("DEL".utf8), foreign])
    }

    @Test("statistics count logins by store")
    func statistics() async throws {
        let service = try TestServers.service()
        let user = try await TestServers.makeUser(password: "count me")
        _ = await service.authenticate(username: user, password: "count me", origin: .cli)
        _ = await service.authenticate(username: user, password: "count me", origin: .http)
        _ = await service.authenticate(username: user, password: "nope", origin: .terminal)
        let snapshot = service.statistics.snapshot()
        #expect(snapshot.authenticated[.postgres] == 1)
        #expect(snapshot.authenticated[.redis] == 1)
        #expect(snapshot.rejected == 1)
        #expect(snapshot.byOrigin[.http] == 1)
        #expect(snapshot.recent.count == 3)
        #expect(snapshot.hitRatio == 0.5)
    }

}
