@testable import DoormanAuth
import DoormanCore
import DoormanPostgres
import Testing

/// What AuthService asks of its stages, and in which order, for each kind of
/// login. No server: the stages are fakes of Doorman's own protocols.
@Suite("Login orchestration")
struct OrchestrationTests {
    @Test("a valid cached entry whose hash matches: Redis, and PostgreSQL is never asked")
    func cacheHit() async {
        let harness = Harness(cache: [.hit(Harness.entry("right"))])
        let outcome = await harness.login()
        #expect(outcome.result == .authenticated(.redis))
        #expect(!outcome.cacheUnavailable)
        #expect(outcome.bcryptDuration == .milliseconds(5))
        #expect(harness.log.all == ["throttle.check ada", "cache.lookup ada", "verify hash(right)", "throttle.success ada"])
    }

    @Test("a miss: PostgreSQL, then the entry is filled with the record's version")
    func cacheMiss() async {
        let harness = Harness(records: ["ada": Harness.record("right", version: 9)])
        let outcome = await harness.login()
        #expect(outcome.result == .authenticated(.postgres))
        #expect(harness.log.all == ["throttle.check ada", "cache.lookup ada", "source.lookUp ada", "verify hash(right)",
                                    "cache.fill ada v9", "throttle.success ada"])
        #expect(harness.service.statistics.snapshot().postgresLookups == 1)
    }

    @Test("a wrong password against a cached hash that PostgreSQL confirms: rejected after one bcrypt check")
    func wrongPasswordCached() async {
        let harness = Harness(cache: [.hit(Harness.entry("right"))], records: ["ada": Harness.record("right")])
        let outcome = await harness.login("ada", "wrong")
        #expect(outcome.result == .rejected)
        #expect(harness.log.count("verify") == 1)
        #expect(harness.log.count("cache.evict") == 0, "the entry is still good")
        #expect(harness.log.all.last == "throttle.failure ada")
    }

    @Test("a cached hash older than PostgreSQL's: evicted, and the new one is checked")
    func staleEntry() async {
        let harness = Harness(cache: [.hit(Harness.entry("old"))], records: ["ada": Harness.record("new", version: 8)])
        let outcome = await harness.login("ada", "new")
        #expect(outcome.result == .authenticated(.postgres))
        #expect(harness.log.all == ["throttle.check ada", "cache.lookup ada", "verify hash(old)", "source.lookUp ada",
                                    "cache.evict ada", "verify hash(new)", "cache.fill ada v8", "throttle.success ada"])
    }

    @Test("a refused entry (forged, expired, stale version) is replaced")
    func refusedEntry() async {
        let harness = Harness(cache: [.refused], records: ["ada": Harness.record("right")])
        #expect(await harness.login().result == .authenticated(.postgres))
        #expect(harness.log.count("cache.evict ada") == 1)
        #expect(harness.log.count("cache.fill ada") == 1)
    }

    @Test("Redis unavailable on lookup: PostgreSQL answers, nothing is written to Redis, the outcome says so")
    func cacheUnavailable() async {
        let harness = Harness(cache: [.unavailable], records: ["ada": Harness.record("right")])
        let outcome = await harness.login()
        #expect(outcome.result == .authenticated(.postgres))
        #expect(outcome.cacheUnavailable)
        #expect(harness.log.count("cache.fill") == 0)
    }

    @Test("the throttle's store did not answer: the cache is not asked either (one Redis deadline per login)")
    func throttleStoreDown() async {
        let harness = Harness(cache: [.hit(Harness.entry("right"))], records: ["ada": Harness.record("right")],
                              throttle: ThrottleCheck(storeUnavailable: true))
        let outcome = await harness.login()
        #expect(outcome.result == .authenticated(.postgres))
        #expect(outcome.cacheUnavailable)
        #expect(harness.log.count("cache.") == 0)
    }

    @Test("without a cache (--no-cache) the outcome does not claim the cache failed")
    func noCache() async {
        let harness = Harness(cache: nil, records: ["ada": Harness.record("right")], throttle: ThrottleCheck(storeUnavailable: true))
        let outcome = await harness.login()
        #expect(outcome.result == .authenticated(.postgres))
        #expect(!outcome.cacheUnavailable)
    }

    @Test("a fill that fails still authenticates, and says the cache was unavailable")
    func fillFails() async {
        let harness = Harness(fillSucceeds: false, records: ["ada": Harness.record("right")])
        let outcome = await harness.login()
        #expect(outcome.result == .authenticated(.postgres))
        #expect(outcome.cacheUnavailable)
    }

    @Test("throttled: refused unchecked, with the wait; no store is read and no bcrypt runs")
    func throttled() async {
        let harness = Harness(cache: [.hit(Harness.entry("right"))], throttle: ThrottleCheck(retryAfter: .seconds(90)))
        let outcome = await harness.login()
        #expect(outcome.result == .throttled(retryAfter: .seconds(90)))
        #expect(harness.log.all == ["throttle.check ada"])
    }

    @Test("the cache's read goes out before the throttle's check (one round trip for both) and is used only after it")
    func cacheReadStartsBeforeThrottle() async {
        let harness = Harness(cache: [.hit(Harness.entry("right"))], cacheStartsEarly: true)
        let outcome = await harness.login()
        #expect(outcome.result == .authenticated(.redis))
        #expect(Array(harness.log.all.prefix(4)) == ["cache.start ada", "throttle.check ada", "cache.result ada", "verify hash(right)"])
    }

    @Test("throttled, or the throttle's store down: a read started early is dropped unused")
    func startedReadDropped() async {
        let throttled = Harness(cache: [.hit(Harness.entry("right"))], cacheStartsEarly: true,
                                throttle: ThrottleCheck(retryAfter: .seconds(90)))
        #expect(await throttled.login().result == .throttled(retryAfter: .seconds(90)))
        #expect(throttled.log.all == ["cache.start ada", "throttle.check ada"])

        let storeDown = Harness(cache: [.hit(Harness.entry("right"))], cacheStartsEarly: true, records: ["ada": Harness.record("right")],
                                throttle: ThrottleCheck(storeUnavailable: true))
        let outcome = await storeDown.login()
        #expect(outcome.result == .authenticated(.postgres))
        #expect(outcome.cacheUnavailable)
        #expect(storeDown.log.count("cache.result") == 0)
    }

    @Test("PostgreSQL late or down on a miss: unavailable, never a wrong password, and no failure is counted")
    func sourceUnavailable() async {
        for failure in [DoormanError(.timeout, "PostgreSQL did not answer within 2 s"), DoormanError(.unavailable, "refused")] {
            let harness = Harness(sourceFailure: failure)
            let outcome = await harness.login()
            #expect(outcome.result == .unavailable)
            #expect(harness.log.count("throttle.failure") == 0)
            #expect(harness.log.count("verify") == 0)
        }
    }

    @Test("an unknown user costs one check of the dummy hash and counts as a failure; a cached entry for it goes")
    func unknownUser() async {
        let harness = Harness(cache: [.refused])
        let outcome = await harness.login("nobody", "whatever")
        #expect(outcome.result == .rejected)
        #expect(harness.log.all == ["throttle.check nobody", "cache.lookup nobody", "source.lookUp nobody", "verify hash(dummy)",
                                    "cache.evict nobody", "throttle.failure nobody"])
    }

    @Test("a stored value that is not a hash this verifier knows: rejected like an unknown user")
    func unknownHashFormat() async {
        let harness = Harness(records: ["ada": PasswordRecord(hash: "plaintext!", version: 1)])
        #expect(await harness.login().result == .rejected)
        #expect(harness.log.all.contains("verify hash(dummy)"))
    }

    @Test("malformed credentials touch no stage at all")
    func malformed() async {
        let harness = Harness()
        for (user, password) in [("", "x"), ("ada", ""), ("a\u{0}da", "x"), ("ada", String(repeating: "p", count: 73))] {
            let outcome = await harness.login(user, password)
            #expect(outcome.result == .rejected)
            #expect(outcome.lookupDuration == .zero)
        }
        #expect(harness.log.all.isEmpty)
    }

    @Test("a concurrent login filled the cache after ours looked: look again instead of asking PostgreSQL")
    func lookAgainAfterLanding() async {
        let harness = Harness(cache: [.miss, .hit(Harness.entry("right"))], records: ["ada": Harness.record("right")], landedAfterStart: true)
        #expect(await harness.login().result == .authenticated(.redis))
        #expect(harness.log.count("cache.lookup") == 2)
        #expect(harness.log.count("source.") == 0)
    }

    @Test("the memory tier answers after a check, without bcrypt, but never before the throttle")
    func memoryTier() async {
        let harness = Harness(records: ["ada": Harness.record("right")], memoryCache: .init())
        #expect(await harness.login().result == .authenticated(.postgres))
        let second = await harness.login()
        #expect(second.result == .authenticated(.memory))
        #expect(second.bcryptDuration == .zero)
        #expect(harness.log.count("throttle.check") == 2)
        #expect(harness.log.count("verify") == 1)
        #expect(await harness.login("ada", "wrong").result != .authenticated(.memory))
    }

    @Test("near its expiry a remembered check is renewed by one login, through bcrypt, while the next ones still hit")
    func memoryTierRenewal() async throws {
        let harness = Harness(records: ["ada": Harness.record("right")], memoryCache: .init(ttl: .seconds(60)))
        let memory = try #require(harness.service.memoryCache)
        memory.remember(username: "ada", password: "right", version: 7, now: .now - .seconds(55))
        #expect(await harness.login().result == .authenticated(.postgres), "the renewing login checks the password again")
        #expect(harness.log.count("verify") == 1)
        #expect(await harness.login().result == .authenticated(.memory), "renewed: a hit, and no renewal pending")
        #expect(await harness.login().result == .authenticated(.memory))
        #expect(harness.log.count("verify") == 1)
    }

    @Test("a password change this process heard of makes remembered and cached versions useless")
    func freshnessRefusesOlderVersions() async {
        let harness = Harness(records: ["ada": Harness.record("right", version: 3)], memoryCache: .init())
        #expect(await harness.login().result == .authenticated(.postgres))
        harness.service.freshness.apply(UserChange(id: 1, username: "ada", version: 4))
        #expect(await harness.login().result == .authenticated(.postgres), "the memory entry of version 3 is refused")
    }

    @Test("flush and unlock reach the cache and the throttle")
    func flushAndUnlock() async throws {
        let harness = Harness()
        #expect(try await harness.service.flushCache(for: "ada"))
        #expect(try await harness.service.flushCache() == 2)
        #expect(try await harness.service.unlock("ada") == 1)
        #expect(harness.log.all == ["cache.evict ada", "cache.evictAll", "throttle.unlock ada"])
        #expect(harness.service.statistics.snapshot().flushes == 2)
    }
}
