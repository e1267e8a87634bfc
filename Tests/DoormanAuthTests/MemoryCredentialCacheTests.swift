@testable import DoormanAuth
import Testing

/// The in-memory tier's bookkeeping, on a clock the tests move by hand.
@Suite("the in-memory tier")
struct MemoryCredentialCacheTests {
    let start = ContinuousClock.now
    let cache = MemoryCredentialCache(configuration: .init(ttl: .seconds(60), maxUsers: 10))

    func check(_ password: String = "right", at seconds: Double) -> MemoryCredentialCache.Check {
        cache.check(username: "ada", password: password, now: start + .seconds(seconds))
    }

    @Test("a remembered check hits with its version; a wrong password and an expired entry miss")
    func hitsAndMisses() {
        #expect(check(at: 0) == .miss)
        cache.remember(username: "ada", password: "right", version: 7, now: start)
        #expect(check(at: 1) == .hit(version: 7))
        #expect(check("wrong", at: 1) == .miss)
        #expect(check(at: 60) == .miss, "expired at its TTL")
        #expect(check(at: 1) == .miss, "and forgotten")
    }

    @Test("in the last tenth of its life one login is asked to renew the entry; the others keep hitting")
    func oneLoginRenews() {
        cache.remember(username: "ada", password: "right", version: 7, now: start)
        #expect(check(at: 53.9) == .hit(version: 7), "before the renewal window")
        #expect(check("wrong", at: 54) == .miss, "a wrong password claims nothing")
        #expect(check(at: 54) == .renew, "the first right one renews")
        #expect(check(at: 54.1) == .hit(version: 7))
        #expect(check(at: 54.9) == .hit(version: 7), "while the claim stands")
        // The renewing login's check succeeded: a new life from then.
        cache.remember(username: "ada", password: "right", version: 7, now: start + .seconds(55))
        #expect(check(at: 61) == .hit(version: 7), "past the first TTL: renewed, not expired")
        #expect(check(at: 108.9) == .hit(version: 7))
        #expect(check(at: 109) == .renew, "the renewed entry's own window")
    }

    @Test("a claim that renewed nothing lapses after a second, and another login renews")
    func claimLapses() {
        cache.remember(username: "ada", password: "right", version: 7, now: start)
        #expect(check(at: 54) == .renew)
        #expect(check(at: 54.5) == .hit(version: 7))
        #expect(check(at: 55) == .renew, "one second later, the renewal is offered again")
        #expect(check(at: 55.5) == .hit(version: 7))
        #expect(check(at: 60) == .miss, "and nobody renewed it in time: it expires")
    }

    @Test("forgetting drops the entry, claim and all")
    func forget() {
        cache.remember(username: "ada", password: "right", version: 7, now: start)
        #expect(check(at: 54) == .renew)
        cache.forget("ada")
        #expect(check(at: 54.1) == .miss)
    }
}
