import DoormanCore
import Foundation

/// What the live cache panel shows, gathered from ``AuthStatistics`` (and the
/// hosted HTTP server's counters) on the UI's timer. Gathering is separate
/// from drawing: this value is computed when the statistics change, and the
/// panel view only lays it out.
public struct PanelSnapshot: Equatable, Sendable {
    /// One recent login.
    public struct Event: Equatable, Sendable {
        /// Local wall-clock time, `14:03:27`.
        public var time: String
        /// Who tried (empty when the request had no usable credentials).
        public var username: String
        /// How it ended.
        public var result: AuthOutcome.Result
        /// The hash lookup (or, remotely, the round trip).
        public var latency: Duration
        /// Where it came from: `terminal`, `http`, `cli`.
        public var origin: String

        /// Creates an event.
        public init(time: String, username: String, result: AuthOutcome.Result, latency: Duration, origin: String) {
            self.time = time
            self.username = username
            self.result = result
            self.latency = latency
            self.origin = origin
        }
    }

    /// The HTTP server hosted in this process (`--serve`).
    public struct HostedServer: Equatable, Sendable {
        /// `http://127.0.0.1:8080`.
        public var url: String
        /// Responses served so far, by status code.
        public var responses: [Int: Int]

        /// Creates a description.
        public init(url: String, responses: [Int: Int]) {
            self.url = url
            self.responses = responses
        }
    }

    /// Successful logins by store.
    public var authenticated: [AuthSource: Int] = [:]
    /// Failed logins.
    public var rejected = 0
    /// Logins that could not be decided.
    public var unavailable = 0
    /// Logins during which Redis could not be used.
    public var cacheUnavailable = 0
    /// Cache flushes.
    public var flushes = 0
    /// The share of successful logins Redis served (0...1).
    public var hitRatio: Double = 0
    /// The latest logins, newest first.
    public var recent: [Event] = []
    /// Recent lookup latencies in milliseconds by store, oldest first.
    public var latencies: [AuthSource: [Double]] = [:]
    /// The hosted HTTP server, if there is one.
    public var server: HostedServer?
    /// Where the numbers come from, e.g. `this process` or `this client`.
    public var scope: String = "this process"
    /// The stores the panel shows: Redis and PostgreSQL, and Memory when the
    /// in-memory tier is on (or has answered).
    public var stores: [AuthSource] = [.redis, .postgres]

    /// Nothing yet.
    public init() {}

    /// How many events are kept: enough for the tallest panel ("Recent
    /// logins" fills the rows the terminal has).
    public static let recentLimit = 100
    /// How many latencies per store the chart can show.
    public static let latencyLimit = 80

    /// Gathers a snapshot from the statistics and, with `--serve`, the server's counters.
    public init(statistics: AuthStatistics.Snapshot, server: HostedServer? = nil, scope: String = "this process",
                memoryTier: Bool = false, timeZone: TimeZone = .current) {
        authenticated = statistics.authenticated
        rejected = statistics.rejected
        unavailable = statistics.unavailable
        cacheUnavailable = statistics.cacheUnavailable
        flushes = statistics.flushes
        hitRatio = statistics.hitRatio
        self.server = server
        self.scope = scope
        if memoryTier || statistics.authenticated[.memory, default: 0] > 0 { stores.append(.memory) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        recent = statistics.recent.suffix(Self.recentLimit).reversed().map { event in
            let parts = calendar.dateComponents([.hour, .minute, .second], from: event.time)
            let time = [parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0]
                .map { $0 < 10 ? "0\($0)" : "\($0)" }.joined(separator: ":")
            return Event(time: time, username: event.outcome.username, result: event.outcome.result,
                         latency: event.outcome.lookupDuration, origin: event.origin.rawValue)
        }
        for event in statistics.recent {
            guard let source = event.outcome.source else { continue }
            latencies[source, default: []].append(event.outcome.lookupDuration.millisecondsValue)
        }
        for (source, values) in latencies where values.count > Self.latencyLimit {
            latencies[source] = Array(values.suffix(Self.latencyLimit))
        }
    }
}
