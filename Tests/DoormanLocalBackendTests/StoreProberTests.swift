import DoormanHTTP
@testable import DoormanLocalBackend
import DoormanUI
import Testing

/// The local backend's health strip: a hung store is reported down in bounded time.
@Suite("Store prober")
struct StoreProberTests {
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
