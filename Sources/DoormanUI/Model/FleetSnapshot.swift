import DoormanCore

/// What the panel's fleet page shows: the instances that publish to the
/// shared Redis, as last read (every two seconds while the page is open),
/// and when; or why they could not be read.
public struct FleetSnapshot: Equatable, Sendable {
    /// The instances, by name.
    public var members: [FleetMember]
    /// When they were read, in Unix milliseconds ("last seen" counts from here,
    /// so that a frame depends on the state alone).
    public var readAt: Int64
    /// Why the fleet could not be read, if it could not.
    public var failure: String?

    /// Creates a snapshot.
    public init(members: [FleetMember], readAt: Int64, failure: String? = nil) {
        self.members = FleetMember.sorted(members)
        self.readAt = readAt
        self.failure = failure
    }
}

/// The panel's two pages (`v` switches).
enum PanelPage: Equatable, Sendable {
    /// This process's (or client's) logins.
    case cache
    /// Every instance that publishes to the shared Redis.
    case fleet
}
