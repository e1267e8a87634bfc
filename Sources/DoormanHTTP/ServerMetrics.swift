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
/// - `doorman_store_timeouts_total{store}`: store calls that ran past their
///   deadline (and were cancelled), by store
public final class ServerMetrics: Sendable {
    /// The registry behind `/metrics`.
    let registry = PrometheusCollectorRegistry()
    /// Per label value (a store, or `none` for a failure), the instruments a
    /// login touches: made once, so that recording is a few atomic adds.
    private struct Instruments: Sendable {
        var logins: Counter
        var lookup: DurationHistogram
        var bcrypt: DurationHistogram
    }
    private let succeeded: [AuthSource: Instruments]
    private let failed: [Failure: Instruments]
    private let cacheUnavailable: Counter
    private let postgresLookups: Counter
    private let statistics: AuthStatistics
    private let exportedLookups = Mutex(0)
    private let stores: [(health: StoreHealth, counter: Counter)]
    private let exportedTimeouts: Mutex<[Int]>
    private let responses = Mutex<[Int: (counter: Counter, count: Int)]>([:])

    private enum Failure: String, CaseIterable {
        case rejected, unavailable, throttled
    }

    private static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5),
    ]

    /// Creates the metrics and subscribes them to `statistics`; `stores` are
    /// the gateways' health records, whose timeouts are exported.
    public init(statistics: AuthStatistics, stores: [StoreHealth] = []) {
        let registry = registry
        let loginsName = MetricNameDescriptor(namespace: "doorman", metricName: "logins", unitName: "total",
                                              helpText: "Logins by the store that decided them, and their outcome.")
        let lookupName = MetricNameDescriptor(namespace: "doorman", metricName: "lookup", unitName: "seconds",
                                              helpText: "Time spent looking a user's hash up, in Redis and PostgreSQL together.")
        let bcryptName = MetricNameDescriptor(namespace: "doorman", metricName: "bcrypt", unitName: "seconds",
                                              helpText: "Time spent verifying bcrypt hashes.")
        func instruments(source: String, outcome: String) -> Instruments {
            Instruments(
                logins: registry.makeCounter(descriptor: loginsName, labels: [("source", source), ("outcome", outcome)]),
                lookup: registry.makeDurationHistogram(descriptor: lookupName, labels: [("source", source)], buckets: Self.latencyBuckets),
                bcrypt: registry.makeDurationHistogram(descriptor: bcryptName, labels: [("source", source)], buckets: Self.latencyBuckets))
        }
        succeeded = Dictionary(uniqueKeysWithValues: AuthSource.allCases.map { ($0, instruments(source: $0.rawValue, outcome: "success")) })
        failed = Dictionary(uniqueKeysWithValues: Failure.allCases.map { ($0, instruments(source: "none", outcome: $0.rawValue)) })
        cacheUnavailable = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "doorman", metricName: "cache_unavailable", unitName: "total",
            helpText: "Logins during which Redis could not be used."))
        postgresLookups = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "doorman", metricName: "postgres_lookups", unitName: "total",
            helpText: "Password hash lookups that reached PostgreSQL (concurrent logins of one user share one)."))
        let timeoutsName = MetricNameDescriptor(namespace: "doorman", metricName: "store_timeouts", unitName: "total",
                                                helpText: "Store calls that ran past their deadline and were cancelled, by store.")
        self.stores = stores.map { health in
            (health, registry.makeCounter(descriptor: timeoutsName, labels: [("store", health.store)]))
        }
        self.exportedTimeouts = Mutex([Int](repeating: 0, count: stores.count))
        self.statistics = statistics
        statistics.observe { [self] event in self.record(event.outcome) }
    }

    /// Exports `doorman_instance_info{instance="NAME"} 1`, which names the
    /// instance these metrics come from.
    func name(instance: String) {
        registry.makeGauge(name: "doorman_instance_info", labels: [("instance", instance)]).set(Int64(1))
    }

    func record(_ outcome: AuthOutcome) {
        let instruments: Instruments? = switch outcome.result {
        case .authenticated(let source): succeeded[source]
        case .rejected: failed[.rejected]
        case .unavailable: failed[.unavailable]
        case .throttled: failed[.throttled]
        }
        guard let instruments else { return }
        instruments.logins.increment()
        instruments.lookup.record(outcome.lookupDuration)
        instruments.bcrypt.record(outcome.bcryptDuration)
        if outcome.cacheUnavailable { cacheUnavailable.increment() }
    }

    /// Counts one response.
    func recordResponse(status: Int) {
        let counter = responses.withLock { responses in
            if let entry = responses[status] {
                responses[status]?.count = entry.count + 1
                return entry.counter
            }
            let counter = registry.makeCounter(
                descriptor: MetricNameDescriptor(namespace: "doorman", subsystem: "http", metricName: "requests", unitName: "total",
                                                 helpText: "HTTP responses by status code."),
                labels: [("status", String(status))])
            responses[status] = (counter, 1)
            return counter
        }
        counter.increment()
    }

    /// Responses served so far, by status code (for the terminal UI's panel).
    public var responsesByStatus: [Int: Int] {
        responses.withLock { $0.mapValues(\.count) }
    }

    /// The Prometheus text exposition.
    func exposition() -> [UInt8] {
        let lookups = statistics.snapshot().postgresLookups
        let delta = exportedLookups.withLock { exported in
            defer { exported = max(exported, lookups) }
            return lookups - exported
        }
        if delta > 0 { postgresLookups.increment(by: Int64(delta)) }
        for (index, store) in stores.enumerated() {
            let timeouts = store.health.timeouts
            let fresh = exportedTimeouts.withLock { exported in
                defer { exported[index] = max(exported[index], timeouts) }
                return timeouts - exported[index]
            }
            if fresh > 0 { store.counter.increment(by: Int64(fresh)) }
        }
        return registry.emitToBuffer()
    }
}
