@testable import DoormanCore
import Foundation
import Testing

@Suite("Fleet member")
struct FleetMemberTests {
    static let member = FleetMember(instance: "doorman-1", logins: [.redis: 9, .postgres: 2, .memory: 1], failures: 4, hitRatio: 0.75,
                                    startedAt: 1_000, lastSeen: 5_000, version: "0.1.0", pid: 77)

    @Test("its Redis hash's fields read back as the same member; no username among them")
    func fields() {
        let fields = Dictionary(uniqueKeysWithValues: Self.member.fields)
        #expect(FleetMember(fields: fields) == Self.member)
        #expect(Set(fields.keys) == ["instance", "logins_redis", "logins_postgres", "logins_memory", "failures", "hit_ratio",
                                     "started_at", "last_seen", "version", "pid"])
        #expect(FleetMember(fields: ["pid": "1"]) == nil, "a hash without an instance name is not a member")
        #expect(FleetMember(fields: ["instance": "x", "logins_redis": "many"])?.logins[.redis] == 0)
    }

    @Test("JSON: flat snake_case, logins by store, and back")
    func json() throws {
        let data = try JSONEncoder().encode(Self.member)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((object["logins"] as? [String: Int]) == ["redis": 9, "postgres": 2, "memory": 1])
        #expect(object["hit_ratio"] as? Double == 0.75 && object["last_seen"] as? Int == 5_000)
        #expect(try JSONDecoder().decode(FleetMember.self, from: data) == Self.member)
    }

    @Test("built from statistics: failures are every unsuccessful login; the hit ratio is Redis' share of successes")
    func fromStatistics() {
        var snapshot = AuthStatistics.Snapshot()
        snapshot.authenticated = [.redis: 3, .postgres: 1]
        snapshot.rejected = 2
        snapshot.unavailable = 1
        snapshot.throttled = 1
        let member = FleetMember(instance: "a", statistics: snapshot, startedAt: Date(timeIntervalSince1970: 1),
                                 now: Date(timeIntervalSince1970: 2), version: "v", pid: 5)
        #expect(member.failures == 4 && member.hitRatio == 0.75 && member.totalLogins == 4)
        #expect(member.startedAt == 1_000 && member.lastSeen == 2_000)
    }

    @Test("last seen and hit ratio for people")
    func descriptions() {
        #expect(FleetMember.secondsAgo(5_000, now: 5_400) == "0.4 s")
        #expect(FleetMember.secondsAgo(5_000, now: 4_000) == "0.0 s", "a clock ahead of ours")
        #expect(FleetMember.secondsAgo(0, now: 42_000) == "42 s")
        #expect(FleetMember.secondsAgo(0, now: 600_000) == "10 min")
        #expect(Self.member.lastSeenDescription(now: Date(timeIntervalSince1970: 5.4)) == "0.4 s ago")
        #expect(Self.member.hitRatioDescription == "75%")
        #expect(FleetMember(instance: "idle").hitRatioDescription == "-")
    }
}
