import DoormanCore
import Foundation
import Testing
@testable import DoormanUI

/// The panel's fleet page: `v` switches to it and asks for a read; the page
/// lays out what was read, at the sizes people use.
@Suite("Fleet page")
struct FleetPageTests {
    static let readAt: Int64 = 1_764_770_000_000

    static var fleet: FleetSnapshot {
        FleetSnapshot(members: [
            FleetMember(instance: "doorman-2", logins: [.redis: 1_204, .postgres: 96], failures: 3, hitRatio: 0.926,
                        startedAt: readAt - 600_000, lastSeen: readAt - 400, version: "0.1.0", pid: 4102),
            FleetMember(instance: "doorman-1", logins: [.redis: 1_311, .postgres: 88], failures: 0, hitRatio: 0.937,
                        startedAt: readAt - 600_000, lastSeen: readAt - 900, version: "0.1.0", pid: 4101),
            FleetMember(instance: "doorman-3", logins: [.redis: 7, .postgres: 12], failures: 1, hitRatio: 0.368,
                        startedAt: readAt - 30_000, lastSeen: readAt - 4_200, version: "0.1.0", pid: 4103),
        ], readAt: readAt)
    }

    static func fleetState(columns: Int, rows: Int) -> AppState {
        var state = SnapshotTests.productsState(columns: columns, rows: rows)
        _ = state.handle(.command(.switchPanelPage))
        _ = state.handle(.fleetChanged(fleet))
        return state
    }

    @Test("v switches the panel to the fleet and asks for a read; v again goes back; a hidden panel is shown")
    func switching() {
        var state = SnapshotTests.productsState(columns: 120, rows: 36)
        #expect(state.press(.character("v")) == [.loadFleet])
        #expect(state.panelPage == .fleet)
        #expect(state.press(.character("v")) == [])
        #expect(state.panelPage == .cache)
        _ = state.press(.character("p"))
        #expect(!state.panelWanted)
        #expect(state.press(.character("v")) == [.loadFleet])
        #expect(state.panelWanted && state.panelPage == .fleet)
    }

    @Test("the help lists v")
    func keymap() {
        #expect(Keymap.standard.command(for: .character("v"), in: .table) == .switchPanelPage)
        let table = Keymap.standard.helpSections(mode: AppState.local).first { $0.title == InputContext.table.title }
        #expect(table?.lines.contains { $0.keys == "v" } == true)
    }

    @Test("the fleet page, 120×36 (right) and 80×24 (bottom)")
    func snapshots() throws {
        try SnapshotTests.check(Self.fleetState(columns: 120, rows: 36), "fleet-120x36")
        try SnapshotTests.check(Self.fleetState(columns: 80, rows: 24), "fleet-80x24")
    }

    @Test("the fleet page before the first read, with none, and when it cannot be read")
    func emptyAndFailed() throws {
        var state = SnapshotTests.productsState(columns: 120, rows: 36)
        _ = state.handle(.command(.switchPanelPage))
        #expect(Self.text(state).contains("Reading the fleet…"))
        _ = state.handle(.fleetChanged(FleetSnapshot(members: [], readAt: Self.readAt)))
        #expect(Self.text(state).contains("No instance publishes to this Redis."))
        _ = state.handle(.fleetChanged(FleetSnapshot(members: [], readAt: Self.readAt, failure: "log in to see the fleet")))
        #expect(Self.text(state).contains("log in to see the fleet"))
    }

    @Test("last seen counts from the read; the memory column shows only when the tier answered")
    func columns() {
        var state = Self.fleetState(columns: 120, rows: 36)
        let text = Self.text(state)
        #expect(text.contains("0.4 s") && text.contains("4.2 s"))
        #expect(!text.contains("Mem"))
        var fleet = Self.fleet
        fleet.members[0].logins[.memory] = 5
        _ = state.handle(.fleetChanged(fleet))
        #expect(Self.text(state).contains("Mem"))
    }

    static func text(_ state: AppState) -> String {
        let buffer = Frame.render(state)
        return (0..<buffer.size.rows).map { buffer.line($0) }.joined(separator: "\n")
    }
}
