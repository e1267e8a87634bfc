import DoormanAuth
import DoormanCore
import DoormanHTTP
import DoormanPostgres
import DoormanUI
import NIOPosix
import Synchronization

/// The gateways in this process: logins through ``AuthService`` (Redis, then
/// PostgreSQL), products from ``PostgresGateway``, flushes in Redis. With
/// `--serve`, the HTTP server hosted in the same process shares the service,
/// so its logins appear in the same statistics.
public struct LocalBackend: UIBackend {
    /// The login service (and through it the gateways and the statistics).
    public let auth: AuthService
    /// The HTTP server hosted in this process, if any.
    public let server: HostedServer?
    /// `local` (or `remote`), where the data comes from, and whether flushing works.
    public let mode: ModeInfo
    /// Where the products come from: kept until they change, when the program listens for changes.
    let catalog: ProductCatalog
    let threadPool: NIOThreadPool
    /// The stores' probes (the same as `/healthz`'s), for the health strip.
    let prober: StoreProber
    /// The same stages without Redis (and without the memory tier), for
    /// logins while the person has taken Redis out of the path (`o`); the
    /// throttle, the statistics and the freshness are shared.
    let withoutCache: AuthService
    let bypass = CacheBypass()
    /// Reads the fleet view from Redis (`nil` without a cache).
    let readFleet: (@Sendable () async throws -> [FleetMember])?
    /// The embedded stack's Redis, which `O` stops and starts; `nil` when Redis is not the embedded one.
    let embeddedRedis: EmbeddedRedisSwitch?

    /// An HTTP server running in this process.
    public struct HostedServer: Sendable {
        /// `http://127.0.0.1:8080`.
        public var url: String
        /// Its counters.
        public var metrics: ServerMetrics

        /// Describes a hosted server.
        public init(url: String, metrics: ServerMetrics) {
            self.url = url
            self.metrics = metrics
        }
    }

    /// A backend over `auth`; `detail` says where the stores are, for the
    /// title bar. `fleet` reads the instances that publish to Redis (the
    /// panel's fleet page).
    public init(auth: AuthService, catalog: ProductCatalog, detail: String, server: HostedServer? = nil,
                healthChecks: [HealthCheck] = [], fleet: (@Sendable () async throws -> [FleetMember])? = nil,
                threadPool: NIOThreadPool = .singleton, embeddedRedis: EmbeddedRedisSwitch? = nil) {
        self.auth = auth
        self.readFleet = fleet
        self.embeddedRedis = auth.hasCache ? embeddedRedis : nil
        prober = StoreProber(checks: healthChecks)
        withoutCache = auth.withoutCache()
        self.catalog = catalog
        self.server = server
        self.threadPool = threadPool
        let canFlush = auth.hasCache
        mode = ModeInfo(name: "local", detail: (server.map { "serving \($0.url) · " } ?? "") + detail,
                        canFlush: canFlush, flushUnavailableReason: canFlush ? nil : "the cache is off (--no-cache)", cacheOff: !canFlush,
                        canBypassCache: canFlush, canStopEmbeddedRedis: canFlush && embeddedRedis != nil)
    }

    /// The instances that publish to this process's Redis.
    public func fleet(as credentials: Credentials?) async throws(BackendError) -> [FleetMember] {
        guard let readFleet else { throw BackendError("no fleet without a cache (--no-cache)", unavailable: false) }
        do {
            return try await readFleet()
        } catch {
            throw BackendError("cannot read the fleet: \((error as? DoormanError)?.message ?? "Redis did not answer")")
        }
    }

    /// Logs in through ``AuthService`` (Redis, then PostgreSQL) on NIO's blocking pool.
    public func logIn(_ credentials: Credentials) async -> LoginResult {
        let bypassed = bypass.isOn
        let service = bypassed ? withoutCache : auth
        let outcome = await service.authenticate(username: credentials.username, password: credentials.password, origin: .terminal)
        switch outcome.result {
        case .authenticated(let source):
            return .authenticated(Authentication(
                username: outcome.username, source: source, cacheUnavailable: outcome.cacheUnavailable, cacheBypassed: bypassed,
                timing: .local(lookup: outcome.lookupDuration, bcrypt: outcome.bcryptDuration)))
        case .rejected:
            return .rejected
        case .unavailable:
            return .unavailable(AuthOutcome.unavailableMessage)
        case .throttled(let retryAfter):
            return .throttled(retryAfter: retryAfter)
        }
    }

    /// Every product (from PostgreSQL, unless the catalog kept them), on NIO's blocking pool.
    public func products(as credentials: Credentials) async throws(BackendError) -> [Product] {
        let catalog = catalog
        do {
            return try await catalog.snapshot().products
        } catch let error as DoormanError {
            throw BackendError(error.message, unavailable: error.isUnavailable)
        } catch {
            throw BackendError("the process is shutting down")
        }
    }

    /// Drops cached hashes in Redis (`DEL`, or `SCAN`/`UNLINK` for all), on NIO's blocking pool.
    public func flushCache(user: String?) async -> FlushResult {
        do {
            if let user {
                return .flushed(user: user, removed: try await auth.flushCache(for: user) ? 1 : 0)
            }
            return .flushed(user: nil, removed: try await auth.flushCache())
        } catch let error as DoormanError {
            return .failed("Redis: \(error.message)")
        } catch {
            return .failed("the process is shutting down")
        }
    }

    /// Each store probed as `/healthz` probes it (`SELECT 1`, `PING`), with a
    /// bounded wait; Redis is `off` without a cache.
    public func storeHealth() async -> [StoreStatus] {
        var statuses = await prober.statuses()
        if bypass.isOn, let index = statuses.firstIndex(where: { $0.name == "Redis" }) {
            statuses[index].state = .offByYou
            statuses[index].roundTrip = nil
        }
        if !auth.hasCache && !statuses.contains(where: { $0.name == "Redis" }) {
            statuses.append(StoreStatus(name: "Redis", state: .off))
        }
        return statuses
    }

    /// Takes Redis out of this UI's logins (the hosted HTTP server, if any, keeps it).
    public func setCacheBypassed(_ bypassed: Bool) -> Bool {
        guard auth.hasCache else { return false }
        bypass.set(bypassed)
        return true
    }

    /// The cached entries in Redis, judged against PostgreSQL's current versions.
    public func cacheEntries(as credentials: Credentials) async throws(BackendError) -> [CachedCredential] {
        guard auth.hasCache else { throw BackendError("the cache is off (--no-cache)", unavailable: false) }
        do { return try await auth.cachedCredentials() } catch { throw Self.backendError(error, store: "Redis") }
    }

    /// The throttle counters in Redis.
    public func throttleCounters(as credentials: Credentials) async throws(BackendError) -> [ThrottleCounter] {
        do { return try await auth.throttleCounters() } catch { throw Self.backendError(error, store: "Redis") }
    }

    /// Drops `user`'s cached entry (as `f` does for one's own).
    public func flushEntry(of user: String, as credentials: Credentials) async -> FlushResult {
        await flushCache(user: user)
    }

    /// Clears the counters that lock `user` out, as `doorman user unlock` does.
    public func unlock(_ user: String, as credentials: Credentials) async throws(BackendError) -> Int {
        do { return try await auth.unlock(user) } catch { throw Self.backendError(error, store: "Redis") }
    }

    /// The users in PostgreSQL with their cache and lock state.
    public func users(as credentials: Credentials) async throws(BackendError) -> [UserSummary] {
        do { return try await auth.userSummaries() } catch { throw Self.backendError(error, store: "PostgreSQL") }
    }

    /// `doorman user add`, from the UI.
    public func addUser(_ name: String, password: String, as credentials: Credentials) async throws(BackendError) -> String {
        do { return try await auth.addUser(name, password: password) } catch { throw Self.backendError(error, store: "PostgreSQL") }
    }

    /// `doorman user passwd`, from the UI.
    public func setPassword(of user: String, to password: String, as credentials: Credentials) async throws(BackendError) {
        do { try await auth.setPassword(of: user, to: password) } catch { throw Self.backendError(error, store: "PostgreSQL") }
    }

    /// `doorman user del`, from the UI.
    public func deleteUser(_ user: String, as credentials: Credentials) async throws(BackendError) {
        do { try await auth.deleteUser(user) } catch { throw Self.backendError(error, store: "PostgreSQL") }
    }

    static func backendError(_ error: any Error, store: String) -> BackendError {
        if let error = error as? DoormanError {
            // A refusal of the input (a taken name, a short password) is not the store's.
            if error.kind == .invalidInput || error.kind == .notFound { return BackendError(error.message, unavailable: false) }
            return BackendError("\(store): \(error.message)", unavailable: error.isUnavailable)
        }
        return BackendError("the process is shutting down")
    }

    /// Stops or starts the embedded Redis (`O`); `nil` when done, else why not.
    public func setEmbeddedRedisRunning(_ running: Bool) async -> String? {
        guard let embeddedRedis else { return "Redis is not the embedded one" }
        do {
            try await embeddedRedis.set(running: running)
            return nil
        } catch {
            return "\((error as? DoormanError)?.message ?? "\(error)")"
        }
    }

    /// The statistics' generation and the hosted server's response count.
    public func panelVersion() -> PanelVersion {
        PanelVersion(statistics: auth.statistics.snapshot().generation,
                     responses: server?.metrics.responsesByStatus.values.reduce(0, +) ?? 0)
    }

    /// Every login of this process, and the hosted server's responses.
    public func panelSnapshot() -> PanelSnapshot {
        PanelSnapshot(statistics: auth.statistics.snapshot(),
                      server: server.map { PanelSnapshot.HostedServer(url: $0.url, responses: $0.metrics.responsesByStatus) },
                      memoryTier: auth.memoryCache != nil)
    }
}

/// The `o` switch: shared by copies of the backend.
final class CacheBypass: Sendable {
    private let on = Mutex(false)

    /// `true` while Redis is out of the path.
    var isOn: Bool { on.withLock { $0 } }

    /// Sets the switch.
    func set(_ value: Bool) { on.withLock { $0 = value } }
}
