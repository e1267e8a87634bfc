import DoormanAuth
import DoormanCore
import DoormanHTTP
import DoormanPasswords
import DoormanPostgres
import Foundation
import Testing

/// Every failure costs the same, on the real servers; weak hashes are upgraded.
@Suite("Rehash and the dummy hash")
struct RehashTests {
    static func median(_ durations: [Duration]) -> Duration { durations.sorted()[durations.count / 2] }

    @Test("on the seed's data (cost 6), an unknown user costs what a wrong password costs")
    func unknownCostsLikeWrong() async throws {
        // A stack of its own: the shared one holds the other tests' users, of cost 4.
        let stack = await TestServers.start(name: "timing")
        defer { TestServers.stop(stack) }
        let service = try TestServers.service(on: stack)
        try await service.auth.prepare()
        var unknown: [Duration] = [], wrong: [Duration] = []
        for index in 0..<7 {
            unknown.append(await service.authenticate(username: "nobody_\(index)", password: "guess", origin: .cli).bcryptDuration)
            wrong.append(await service.authenticate(username: "john_doe", password: "guess \(index)", origin: .cli).bcryptDuration)
        }
        // Before: 46 ms (a cost-10 dummy) against 2.8 ms (the seed's cost 6), 16 times. Bound loosely: machines are noisy.
        let ratio = Self.median(unknown) / Self.median(wrong)
        #expect(ratio < 3 && ratio > 1.0 / 3, "unknown \(Self.median(unknown)), wrong \(Self.median(wrong))")
    }

    @Test("a hash weaker than --bcrypt-cost is replaced after a successful login; the password still works, a wrong one still fails")
    func rehash() async throws {
        let user = try await TestServers.makeUser(password: "right")  // cost 4
        let service = try TestServers.service(bcryptCost: 5, rehash: true)
        let before = try #require(try await service.postgres.passwordRecord(for: user))
        #expect(BCrypt.cost(of: before.hash) == 4)
        #expect(await service.authenticate(username: user, password: "right", origin: .cli).isAuthenticated)
        let upgraded = await TestServers.eventually(timeout: .seconds(10)) {
            (try? await service.postgres.passwordRecord(for: user)).flatMap { $0 }.map { BCrypt.cost(of: $0.hash) == 5 } ?? false
        }
        #expect(upgraded)
        let after = try #require(try await service.postgres.passwordRecord(for: user))
        #expect(after.version > before.version, "the change bumps the version, which the cache follows")
        #expect(await service.authenticate(username: user, password: "right", origin: .cli).isAuthenticated)
        #expect(await service.authenticate(username: user, password: "wrong", origin: .cli).result == .rejected)
    }

    @Test("the replacement is conditional: a password changed meanwhile wins")
    func conditional() async throws {
        let user = try await TestServers.makeUser(password: "right")
        let service = try TestServers.service()
        let source = PostgresCredentialSource(postgres: service.postgres)
        let current = try #require(try await service.postgres.passwordRecord(for: user)).hash
        #expect(try await source.replaceHash(of: user, old: "$2a$04$not.the.stored.hash", new: try BCrypt.hash("x", cost: 4)) == .unchanged)
        #expect(try await service.postgres.passwordRecord(for: user)?.hash == current)
        #expect(try await source.replaceHash(of: user, old: current, new: try BCrypt.hash("right", cost: 5)) == .replaced)
    }
}
