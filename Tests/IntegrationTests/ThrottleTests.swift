import DoormanAuth
import DoormanCore
import DoormanHTTP
import Foundation
import Testing

/// Brute-force throttling, counted in Redis, against the real servers.
@Suite("Throttling")
struct ThrottleTests {
    let attacker = ClientIdentity.address("203.0.113.66")
    let owner = ClientIdentity.address("198.51.100.7")

    @Test("one client guessing one account is stopped at the pair limit; the account's owner elsewhere is not")
    func pairLimit() async throws {
        let service = try TestServers.service(throttle: ThrottlePolicy(pairLimit: 5))
        let user = try await TestServers.makeUser(password: "correct")
        for _ in 0..<5 {
            #expect(await service.authenticate(username: user, password: "guess", origin: .http, client: attacker).result == .rejected)
        }
        let blocked = await service.authenticate(username: user, password: "correct", origin: .http, client: attacker)
        guard case .throttled(let retryAfter) = blocked.result else {
            Issue.record("not throttled: \(blocked.result)")
            return
        }
        #expect(retryAfter > .zero && retryAfter <= .seconds(15 * 60))
        #expect(blocked.bcryptDuration == .zero, "a throttled login is not even checked")
        #expect(blocked.summary.hasPrefix("Too many failed attempts; try again in "))
        // The owner, from another address, is not locked out.
        #expect(await service.authenticate(username: user, password: "correct", origin: .http, client: owner).isAuthenticated)
    }

    @Test("guessing from many addresses hits the account limit, but a client the account knows still gets in")
    func accountLimitAndLockoutAbuse() async throws {
        let service = try TestServers.service(throttle: ThrottlePolicy(pairLimit: 100, clientLimit: 100, accountLimit: 6))
        let user = try await TestServers.makeUser(password: "mine")
        // The owner logged in from home before the attack.
        #expect(await service.authenticate(username: user, password: "mine", origin: .http, client: owner).isAuthenticated)
        for index in 0..<6 {
            _ = await service.authenticate(username: user, password: "guess \(index)", origin: .http, client: .address("192.0.2.\(index)"))
        }
        // A new address, even with the right password, now waits...
        let stranger = await service.authenticate(username: user, password: "mine", origin: .http, client: .address("192.0.2.200"))
        guard case .throttled = stranger.result else {
            Issue.record("not throttled: \(stranger.result)")
            return
        }
        // ...but the attacker cannot lock the owner out of their usual address.
        #expect(await service.authenticate(username: user, password: "mine", origin: .http, client: owner).isAuthenticated)
        // Unlocking clears the account's counter.
        #expect(try await service.unlock(user) >= 1)
        #expect(await service.authenticate(username: user, password: "mine", origin: .http, client: .address("192.0.2.200")).isAuthenticated)
    }

    @Test("one client spraying many accounts hits the client limit")
    func clientLimit() async throws {
        let service = try TestServers.service(throttle: ThrottlePolicy(pairLimit: 100, clientLimit: 4, accountLimit: 100))
        let sprayer = ClientIdentity.address("203.0.113.\(Int.random(in: 1...250))")
        for index in 0..<4 {
            _ = await service.authenticate(username: "sprayed_\(index)_\(UUID().uuidString.prefix(6))", password: "Password1", origin: .http, client: sprayer)
        }
        let next = await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .http, client: sprayer)
        guard case .throttled = next.result else {
            Issue.record("not throttled: \(next.result)")
            return
        }
        #expect(await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .http, client: owner).isAuthenticated)
    }

    @Test("a success resets the pair counter")
    func successResets() async throws {
        let service = try TestServers.service(throttle: ThrottlePolicy(pairLimit: 3))
        let user = try await TestServers.makeUser(password: "typo-prone")
        for _ in 0..<2 { _ = await service.authenticate(username: user, password: "typo", origin: .cli) }
        #expect(await service.authenticate(username: user, password: "typo-prone", origin: .cli).isAuthenticated)
        for _ in 0..<2 { _ = await service.authenticate(username: user, password: "typo", origin: .cli) }
        #expect(await service.authenticate(username: user, password: "typo-prone", origin: .cli).isAuthenticated)
    }

    @Test("with Redis down, the limits still hold in the process")
    func redisDown() async throws {
        let stack = await TestServers.start(name: "throttle-redis-down")
        defer { TestServers.stop(stack) }
        let service = try TestServers.service(on: stack, throttle: ThrottlePolicy(pairLimit: 3))
        try await stack.stopRedis()
        for _ in 0..<3 {
            let outcome = await service.authenticate(username: "john_doe", password: "guess", origin: .http, client: attacker)
            #expect(outcome.result == .rejected)
            #expect(outcome.cacheUnavailable)
        }
        guard case .throttled = await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .http, client: attacker).result else {
            Issue.record("not throttled without Redis")
            return
        }
    }

    @Test("HTTP answers 429 with Retry-After; doorman user unlock clears it")
    func httpAndUnlock() async throws {
        let namespace = "doorman"  // the CLI's own namespace, so that 'user unlock' reaches these counters
        let service = try TestServers.service(throttle: ThrottlePolicy(pairLimit: 2), namespace: namespace)
        let user = try await TestServers.makeUser(password: "http pw")
        let server = try await service.httpServer().start()
        do {
            let client = try await RawHTTPClient.open(port: server.port)
            let wrong = BasicAuthorization.header(username: user, password: "nope")
            #expect(try await client.fetch("/", authorization: wrong).status == 401)
            #expect(try await client.fetch("/", authorization: wrong).status == 401)
            let throttled = try await client.fetch("/", authorization: BasicAuthorization.header(username: user, password: "http pw"))
            #expect(throttled.status == 429)
            let retryAfter = Int(throttled.header("Retry-After") ?? "") ?? 0
            #expect(retryAfter > 0 && retryAfter <= 15 * 60)
            #expect((throttled.json?["error"] as? String)?.hasPrefix("Too many failed attempts") == true)

            let unlock = try await DoormanBinary.run(["user", "unlock", user, "--database-url", TestServers.shared.databaseURL, "--redis-url", TestServers.shared.redisURL])
            #expect(unlock.status == 0, "\(unlock.standardError)")
            #expect(unlock.standardOutput.hasPrefix("unlocked \(user)"))
            #expect(try await client.fetch("/", authorization: BasicAuthorization.header(username: user, password: "http pw")).status == 200)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
