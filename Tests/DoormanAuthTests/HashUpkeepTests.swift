import DoormanAuth
import DoormanCore
import DoormanPostgres
import Testing

/// Every failure costs the same, and weak hashes are upgraded on login.
@Suite("Dummy hash and rehashing")
struct HashUpkeepTests {
    @Test("an unknown user is checked against a dummy of the cost most users have")
    func dummyFollowsTypicalCost() async {
        let harness = Harness(typicalCost: 6)
        await harness.service.refreshDummyHash()
        #expect(harness.log.count("hash cost 6") == 1)
        #expect(await harness.login("nobody").result == .rejected)
        #expect(harness.log.all.contains { $0.hasPrefix("verify c6/hash(") }, "\(harness.log.all)")
        // The same cost again: no new dummy.
        await harness.service.refreshDummyHash()
        #expect(harness.log.count("hash cost 6") == 1)
    }

    @Test("a hash weaker than --bcrypt-cost is replaced after a successful login, conditionally on the old hash")
    func rehash() async {
        let weak = PasswordRecord(hash: FakeVerifier.hash("right", cost: 6), version: 7)
        let harness = Harness(records: ["ada": weak])
        #expect(await harness.login().isAuthenticated)
        #expect(await harness.eventually("source.replaceHash"))
        #expect(harness.log.all.contains("source.replaceHash ada c6/hash(right) -> c10/hash(right)"))
    }

    @Test("no rehash with --no-rehash, for strong hashes, or after wrong passwords")
    func noRehash() async {
        let weak = PasswordRecord(hash: FakeVerifier.hash("right", cost: 6), version: 7)
        let off = Harness(records: ["ada": weak], rehash: false)
        #expect(await off.login().isAuthenticated)
        let strong = Harness(records: ["ada": PasswordRecord(hash: FakeVerifier.hash("right", cost: 12), version: 7)])
        #expect(await strong.login().isAuthenticated)
        let wrong = Harness(records: ["ada": weak])
        #expect(await wrong.login("ada", "wrong").result == .rejected)
        try? await Task.sleep(for: .milliseconds(100))
        for harness in [off, strong, wrong] { #expect(harness.log.count("source.replaceHash") == 0) }
    }

    @Test("a role that may not update users stops rehashing for the process")
    func notPermitted() async {
        let weak = PasswordRecord(hash: FakeVerifier.hash("right", cost: 6), version: 7)
        let harness = Harness(records: ["ada": weak], replacement: .notPermitted)
        #expect(await harness.login().isAuthenticated)
        #expect(await harness.eventually("source.replaceHash"))
        try? await Task.sleep(for: .milliseconds(50))
        #expect(await harness.login().isAuthenticated)
        try? await Task.sleep(for: .milliseconds(100))
        #expect(harness.log.count("source.replaceHash") == 1)
    }
}
