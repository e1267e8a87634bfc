// DoormanUI's StoreStatus lives with the HTTP backend (it imports DoormanHTTP);
// Role.swift only names its State, so the fuzz target carries a copy of that
// enum. If the real one changes, Role.swift stops compiling here: update this.
public struct StoreStatus: Equatable, Sendable {
    public enum State: String, Equatable, Sendable {
        case up
        case slow
        case down
        case off
        case offByYou = "off by you"
    }
}
