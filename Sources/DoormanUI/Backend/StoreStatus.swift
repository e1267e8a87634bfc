import DoormanCore

/// One store in the header's health strip: up, slow or down, with its last
/// round trip; or off (no cache configured, or taken out of the path with `o`).
public struct StoreStatus: Equatable, Sendable {
    /// How the store is.
    public enum State: String, Equatable, Sendable {
        /// Answered in good time.
        case up
        /// Answered, slowly.
        case slow
        /// Did not answer (or not in time).
        case down
        /// Not used: no cache configured.
        case off
        /// Not used: the person took it out of the path (`o`).
        case offByYou = "off by you"
    }

    /// `PostgreSQL`, `Redis`.
    public var name: String
    /// Its state.
    public var state: State
    /// The last answered round trip, if any.
    public var roundTrip: Duration?

    /// Creates a status.
    public init(name: String, state: State, roundTrip: Duration? = nil) {
        self.name = name
        self.state = state
        self.roundTrip = roundTrip
    }

    /// `PostgreSQL up 0.41 ms`, `Redis down`, `Redis off by you`.
    public var text: String {
        var text = "\(name) \(state.rawValue)"
        if let roundTrip, state == .up || state == .slow { text += " " + roundTrip.milliseconds }
        return text
    }

    /// The display name of a `/healthz` store key: `postgres` is `PostgreSQL`.
    public static func displayName(_ key: String) -> String {
        switch key {
        case "postgres": "PostgreSQL"
        case "redis": "Redis"
        default: key
        }
    }
}
