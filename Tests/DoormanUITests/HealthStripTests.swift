import DoormanCore
import DoormanHTTP
import Foundation
import Testing
@testable import DoormanUI

/// The header's health strip: what is drawn, how the remote answer is read,
/// and that a hung store is reported down in bounded time.
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

    @Test("a store whose probe hangs is down at the deadline (a Dispatch timer, not a task); one that answers is up")
    func boundedWait() async {
        let hung = HealthCheck(name: "redis", health: nil) { _ in try await Task.sleep(for: .seconds(30)) }
        let quick = HealthCheck(name: "postgres", health: nil) { _ in }
        // A deadline long enough for a loaded machine to run the quick probe.
        let prober = StoreProber(checks: [quick, hung], deadline: .seconds(2))
        let statuses = await prober.statuses()
        #expect(statuses.map(\.name) == ["PostgreSQL", "Redis"])
        // The quick one is up (or slow, on a machine busy with other tests); the hung one down.
        #expect(statuses.first.map { [.up, .slow].contains($0.state) } == true)
        #expect(statuses.last?.state == .down)
        let failing = StoreProber(checks: [HealthCheck(name: "postgres", health: nil) { _ in throw CancellationError() }])
        #expect(await failing.statuses().map(\.state) == [.down])
    }
}
