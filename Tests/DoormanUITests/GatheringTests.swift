import DoormanCore
import Foundation
import Testing
@testable import DoormanUI

/// What the panel shows is gathered from the statistics, apart from drawing.
@Suite("Panel gathering")
struct GatheringTests {
    @Test("a snapshot of the statistics: counts, hit ratio, newest events first, latencies by store")
    func snapshot() throws {
        let statistics = AuthStatistics()
        let base = Date(timeIntervalSince1970: 1_700_000_000)  // 22:13:20 UTC
        statistics.record(AuthOutcome(username: "john_doe", result: .authenticated(.postgres), lookupDuration: .microseconds(1900)), origin: .terminal, at: base)
        statistics.record(AuthOutcome(username: "john_doe", result: .authenticated(.redis), lookupDuration: .microseconds(50)), origin: .http, at: base + 1)
        statistics.record(AuthOutcome(username: "john_doe", result: .authenticated(.redis), lookupDuration: .microseconds(70)), origin: .terminal, at: base + 2)
        statistics.record(AuthOutcome(username: "mallory", result: .rejected, lookupDuration: .microseconds(30)), origin: .http, at: base + 3)
        let panel = PanelSnapshot(statistics: statistics.snapshot(), timeZone: TimeZone(identifier: "UTC")!)
        #expect(panel.authenticated == [.redis: 2, .postgres: 1])
        #expect(panel.rejected == 1)
        #expect(abs(panel.hitRatio - 2.0 / 3.0) < 1e-9)
        #expect(panel.recent.map(\.time) == ["22:13:23", "22:13:22", "22:13:21", "22:13:20"])
        #expect(panel.recent.first?.result == .rejected)
        #expect(panel.recent.first?.origin == "http")
        #expect(panel.latencies[.redis] == [0.05, 0.07])
        #expect(panel.latencies[.postgres] == [1.9])
    }

    @Test("only the latest events and latencies are kept")
    func bounded() {
        let statistics = AuthStatistics(capacity: 200)
        for _ in 0..<150 {
            statistics.record(AuthOutcome(username: "u", result: .authenticated(.redis), lookupDuration: .microseconds(10)), origin: .cli)
        }
        let panel = PanelSnapshot(statistics: statistics.snapshot())
        #expect(panel.recent.count == PanelSnapshot.recentLimit)
        #expect(panel.latencies[.redis]?.count == PanelSnapshot.latencyLimit)
    }

    @Test("the panel shows Memory only when the in-memory tier is on, or has answered")
    func stores() {
        let statistics = AuthStatistics()
        statistics.record(AuthOutcome(username: "u", result: .authenticated(.redis)), origin: .cli)
        #expect(PanelSnapshot(statistics: statistics.snapshot()).stores == [.redis, .postgres])
        #expect(PanelSnapshot(statistics: statistics.snapshot(), memoryTier: true).stores == [.redis, .postgres, .memory])
        statistics.record(AuthOutcome(username: "u", result: .authenticated(.memory)), origin: .http)
        #expect(PanelSnapshot(statistics: statistics.snapshot()).stores == [.redis, .postgres, .memory])
    }

    @Test("the statistics keep the last events in order once their ring wraps")
    func ringWraps() {
        let statistics = AuthStatistics(capacity: 5)
        for index in 0..<13 {
            statistics.record(AuthOutcome(username: "user\(index)", result: .rejected), origin: .cli)
        }
        let snapshot = statistics.snapshot()
        #expect(snapshot.recent.map(\.outcome.username) == ["user8", "user9", "user10", "user11", "user12"])
        #expect(snapshot.rejected == 13)
        #expect(snapshot.total == 13)
    }
}
