import DoormanCore
import Foundation
import Testing
@testable import DoormanUI

/// The header's health strip: what is drawn, and how the remote answer is
/// read (the local probes' bounded wait: DoormanLocalBackendTests).
@Suite("Health strip")
struct HealthStripTests {
    static let healthy = [
        StoreStatus(name: "PostgreSQL", state: .up, roundTrip: .microseconds(410)),
        StoreStatus(name: "Redis", state: .up, roundTrip: .microseconds(120)),
    ]

    @Test("the title bar shows each store's state and last round trip; the theme goes first when room runs out", arguments: [(100, 30), (80, 24), (120, 36)])
    func drawn(_ size: (Int, Int)) throws {
        var state = SnapshotTests.productsState(columns: size.0, rows: size.1)
        _ = state.handle(.healthChanged(Self.healthy))
        let title = Frame.render(state).line(0)
        #expect(title.contains("PostgreSQL up 0.41 ms · Redis up 0.12 ms"), "\(title)")
        #expect(title.hasPrefix(" Doorman · local"))
        try SnapshotTests.check(state, "health-\(size.0)x\(size.1)")
    }

    @Test("down, slow and off read as words (readable without colour) in their own roles")
    func states() {
        var state = AppState.make()
        _ = state.handle(.healthChanged([StoreStatus(name: "PostgreSQL", state: .slow, roundTrip: .milliseconds(180)),
                                         StoreStatus(name: "Redis", state: .down)]))
        let frame = Frame.render(state)
        let title = frame.line(0)
        #expect(title.contains("PostgreSQL slow 180 ms · Redis down"), "\(title)")
        let x = title.distance(from: title.startIndex, to: title.range(of: "Redis down")!.lowerBound)
        #expect(frame[x, 0].role == .title(.down))
        _ = state.handle(.healthChanged([StoreStatus(name: "Redis", state: .offByYou)]))
        #expect(Frame.render(state).line(0).contains("Redis off by you"))
    }

    @Test("a remote server's /healthz is read as it answers")
    func remote() {
        let body = Array(#"{"status":"degraded","postgres":"up","redis":"slow","postgres_rtt_ms":0.41,"redis_rtt_ms":120.5}"#.utf8)
        let statuses = RemoteBackend.parseHealth(body)
        #expect(statuses == [StoreStatus(name: "PostgreSQL", state: .up, roundTrip: .microseconds(410)),
                             StoreStatus(name: "Redis", state: .slow, roundTrip: .microseconds(120_500))])
        #expect(RemoteBackend.parseHealth(Array("not json".utf8)) == nil)
        let down = RemoteBackend.parseHealth(Array(#"{"status":"unavailable","postgres":"down"}"#.utf8))
        #expect(down == [StoreStatus(name: "PostgreSQL", state: .down)])
    }
}
