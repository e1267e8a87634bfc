import Foundation

/// One `doorman serve` instance as it last published itself to Redis (the
/// fleet view: `doorman fleet`, `GET /fleet`, the UI's fleet page). Holds
/// counts and names only: never a username, a password or a hash.
///
/// Each instance writes these fields to a hash `<namespace>:fleet:<instance>`
/// every second, with a time to live of a few seconds, so an instance that
/// stops or dies drops out of the list on its own.
public struct FleetMember: Sendable, Equatable, Codable {
    /// The instance's name (`--instance-name`, else `HOSTNAME:PORT`).
    public var instance: String
    /// Successful logins by the store that answered (redis, postgres, memory).
    public var logins: [AuthSource: Int]
    /// Logins that did not succeed: rejected, unavailable or throttled.
    public var failures: Int
    /// The share of successful logins that Redis served, 0...1.
    public var hitRatio: Double
    /// When the instance started, in Unix milliseconds.
    public var startedAt: Int64
    /// When it last published, in Unix milliseconds (its own clock).
    public var lastSeen: Int64
    /// Its Doorman version.
    public var version: String
    /// Its process id.
    public var pid: Int32

    /// Creates a member.
    public init(instance: String, logins: [AuthSource: Int] = [:], failures: Int = 0, hitRatio: Double = 0,
                startedAt: Int64 = 0, lastSeen: Int64 = 0, version: String = "", pid: Int32 = 0) {
        self.instance = instance
        self.logins = logins
        self.failures = failures
        self.hitRatio = hitRatio
        self.startedAt = startedAt
        self.lastSeen = lastSeen
        self.version = version
        self.pid = pid
    }

    /// The member that `statistics` describe, seen now.
    public init(instance: String, statistics: AuthStatistics.Snapshot, startedAt: Date, now: Date = Date(),
                version: String, pid: Int32 = getpid()) {
        self.init(instance: instance, logins: statistics.authenticated,
                  failures: statistics.rejected + statistics.unavailable + statistics.throttled,
                  hitRatio: statistics.hitRatio, startedAt: Self.milliseconds(startedAt), lastSeen: Self.milliseconds(now),
                  version: version, pid: pid)
    }

    /// Successful logins, every store together.
    public var totalLogins: Int { logins.values.reduce(0, +) }

    /// The fields of its Redis hash, in a fixed order.
    public var fields: [(String, String)] {
        [("instance", instance)]
            + AuthSource.allCases.map { ("logins_\($0.rawValue)", String(logins[$0, default: 0])) }
            + [("failures", String(failures)), ("hit_ratio", String(format: "%.4f", hitRatio)),
               ("started_at", String(startedAt)), ("last_seen", String(lastSeen)),
               ("version", version), ("pid", String(pid))]
    }

    /// Reads a member back from its hash's fields; `nil` when the hash has no
    /// instance name (not one of ours, or half written). Counts that do not
    /// parse read as 0.
    public init?(fields: [String: String]) {
        guard let instance = fields["instance"], !instance.isEmpty else { return nil }
        func integer(_ name: String) -> Int { fields[name].flatMap { Int($0) } ?? 0 }
        var logins: [AuthSource: Int] = [:]
        for source in AuthSource.allCases { logins[source] = integer("logins_\(source.rawValue)") }
        self.init(instance: instance, logins: logins, failures: integer("failures"),
                  hitRatio: fields["hit_ratio"].flatMap { Double($0) } ?? 0,
                  startedAt: fields["started_at"].flatMap { Int64($0) } ?? 0,
                  lastSeen: fields["last_seen"].flatMap { Int64($0) } ?? 0,
                  version: fields["version"] ?? "", pid: fields["pid"].flatMap { Int32($0) } ?? 0)
    }

    /// How long ago it last published, for people: "0.4 s ago", "12 s ago",
    /// "3 min ago" (a clock a little ahead of ours reads "0.0 s ago").
    public func lastSeenDescription(now: Date = Date()) -> String {
        Self.secondsAgo(lastSeen, now: Self.milliseconds(now)) + " ago"
    }

    /// How long before `now` (Unix milliseconds) `lastSeen` was, briefly:
    /// "0.4 s", "12 s", "3 min".
    public static func secondsAgo(_ lastSeen: Int64, now: Int64) -> String {
        let seconds = max(0, Double(now - lastSeen) / 1000)
        if seconds < 10 { return String(format: "%.1f s", seconds) }
        if seconds < 120 { return "\(Int(seconds)) s" }
        return "\(Int(seconds / 60)) min"
    }

    /// The hit ratio as a percentage ("87%"), or "-" before any login succeeded.
    public var hitRatioDescription: String {
        totalLogins == 0 ? "-" : "\(Int((hitRatio * 100).rounded()))%"
    }

    /// `date` in Unix milliseconds.
    public static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    /// Members by name, as every view lists them.
    public static func sorted(_ members: [FleetMember]) -> [FleetMember] {
        members.sorted { $0.instance < $1.instance }
    }

    // Codable as the JSON of `doorman fleet --json` and `GET /fleet`: flat
    // snake_case fields, as in the Redis hash.
    enum CodingKeys: String, CodingKey {
        case instance, logins, failures, hitRatio = "hit_ratio", startedAt = "started_at", lastSeen = "last_seen", version, pid
    }

    struct Logins: Codable {
        var redis: Int
        var postgres: Int
        var memory: Int
    }

    /// Decodes the JSON of `doorman fleet --json` / `GET /fleet`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let logins = try container.decode(Logins.self, forKey: .logins)
        self.init(instance: try container.decode(String.self, forKey: .instance),
                  logins: [.redis: logins.redis, .postgres: logins.postgres, .memory: logins.memory],
                  failures: try container.decode(Int.self, forKey: .failures),
                  hitRatio: try container.decode(Double.self, forKey: .hitRatio),
                  startedAt: try container.decode(Int64.self, forKey: .startedAt),
                  lastSeen: try container.decode(Int64.self, forKey: .lastSeen),
                  version: try container.decode(String.self, forKey: .version),
                  pid: try container.decode(Int32.self, forKey: .pid))
    }

    /// Encodes the JSON of `doorman fleet --json` / `GET /fleet`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(instance, forKey: .instance)
        try container.encode(Logins(redis: logins[.redis, default: 0], postgres: logins[.postgres, default: 0],
                                    memory: logins[.memory, default: 0]), forKey: .logins)
        try container.encode(failures, forKey: .failures)
        try container.encode(hitRatio, forKey: .hitRatio)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(lastSeen, forKey: .lastSeen)
        try container.encode(version, forKey: .version)
        try container.encode(pid, forKey: .pid)
    }
}
