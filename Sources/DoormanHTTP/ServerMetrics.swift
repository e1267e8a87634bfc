import DoormanAuth
import DoormanCore
import Synchronization
import Prometheus

/// The server's Prometheus metrics, served at `/metrics`:
///
/// - `doorman_logins_total{source, outcome}`: every login of the process
///   (HTTP, terminal and CLI alike), by the store that decided it
/// - `doorman_lookup_seconds{source}` and `doorman_bcrypt_seconds{source}`:
///   where each login's time went
/// - `doorman_cache_unavailable_total`: logins during which Redis could not be used
/// - `doorman_http_requests_total{status}`: responses by status code
public final class ServerMetrics: Sendable {
    /// The registry behind `/metrics`.
    public let registry = PrometheusCollectorRegistry()
    private let logins: [String: Counter]
    private let lookup: [String: DurationHistogram]
    private let bcrypt: [String: DurationHistogram]
    private let cacheUnavailable: Counter
    private let postgresLookups: Counter
    private let statistics: AuthStatistics
    private let exportedLookups = Mutex(0)
    private let requestCounts = Mutex<[Int: Int]>([:])

    private static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5),
    ]
    private static let outcomes = AuthSource.allCases.map { ($0.rawValue, "success") }
        + [("none", "rejected"), ("none", "unavailable"), ("none", "throttled")]

    /// Creates the metrics and subscribes them to `statistics`.
    public init(statistics: AuthStatistics) {
        let registry = registry
        let loginsName = MetricNameDescriptor(namespace: "doorman", metricName: "logins", unitName: "total",
                                              helpText: "Logins by the store that decided them, and their outcome.")
        logins = Dictionary(uniqueKeysWithValues: Self.outcomes.map { source, outcome in
            ("\(source)/\(outcome)", registry.makeCounter(descriptor: loginsName, labels: [("source", source), ("outcome", outcome)]))
        })
        let lookupName = MetricNameDescriptor(namespace: "doorman", metricName: "lookup", unitName: "seconds",
                                              helpText: "Time spent looking a user's hash up, in Redis and PostgreSQL together.")
        let bcryptName = MetricNameDescriptor(namespace: "doorman", metricName: "bcrypt", unitName: "seconds",
                                              helpText: "Time spent verifying bcrypt hashes.")
        let sources = AuthSource.allCases.map(\.rawValue) + ["none"]
        lookup = Dictionary(uniqueKeysWithValues: sources.map {
            ($0, registry.makeDurationHistogram(descriptor: lookupName, labels: [("source", $0)], buckets: Self.latencyBuckets))
        })
        bcrypt = Dictionary(uniqueKeysWithValues: sources.map {
            ($0, registry.makeDurationHistogram(descriptor: bcryptName, labels: [("source", $0)], buckets: Self.latencyBuckets))
        })
        cacheUnavailable = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "doorman", metricName: "cache_unavailable", unitName: "total",
            helpText: "Logins during which Redis could not be used."))
        postgresLookups = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "doorman", metricName: "postgres_lookups", unitName: "total",
            helpText: "Password hash lookups that reached PostgreSQL (concurrent logins of one user share one)."))
        self.statistics = statistics
        statistics.observe { [self] event in self.record(event.outcome) }
    }

    func record(_ outcome: AuthOutcome) {
        let (source, result): (String, String) = switch outcome.result {
        case .authenticated(let source): (source.rawValue, "success")
        case .rejected: ("none", "rejected")
        case .unavailable: ("none", "unavailable")
        case .throttled: ("none", "throttled")
        }
        logins["\(source)/\(result)"]?.increment()
        lookup[source]?.record(outcome.lookupDuration)
        bcrypt[source]?.record(outcome.bcryptDuration)
        if outcome.cacheUnavailable { cacheUnavailable.increment() }
    }

    /// Counts one response.
    func recordResponse(status: Int) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "doorman", subsystem: "http", metricName: "requests", unitName: "total",
                                             helpText: "HTTP responses by status code."),
            labels: [("status", String(status))]
        ).increment()
        requestCounts.withLock { $0[status, default: 0] += 1 }
    }

    /// Responses served so far, by status code (for the terminal UI's panel).
    public var responsesByStatus: [Int: Int] {
        requestCounts.withLock { $0 }
    }

    /// The Prometheus text exposition.
    func exposition() -> [UInt8] {
        let lookups = statistics.snapshot().postgresLookups
        let delta = exportedLookups.withLock { exported in
            defer { exported = max(exported, lookups) }
            return lookups - exported
        }
        if delta > 0 { postgresLookups.increment(by: Int64(delta)) }
        return registry.emitToBuffer()
    }
}
