import DoormanCore
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// Finds the Redis master through Sentinel and follows it, as the Sentinel
/// client guidelines describe (https://redis.io/docs/reference/sentinel-clients/):
///
/// - Discovery asks the sentinels in order `SENTINEL get-master-addr-by-name
///   NAME`, each within the Redis deadline; the first that answers names the
///   master and moves to the front of the list. The pool then checks with
///   `ROLE` that each connection it opens reaches a master.
/// - ``follow()`` keeps a `SUBSCRIBE +switch-master` on a sentinel, on a
///   connection of its own; a message for our master switches at once.
/// - ``suspect()`` (after a `-READONLY` reply, a replica answering `ROLE`, or a
///   connection to the master failing) asks again, at most every 250 ms.
///
/// A switch calls the gateway back, which drops the old master's connections.
/// Discovery runs in a task of its own, not in the login that needed it: a
/// login waits for it at most for its own deadline, and while no master is
/// known Redis is unavailable to it (it goes to PostgreSQL).
final class RedisSentinelMonitor: Sendable {
    let masterName: String
    private let configuration: RedisConfiguration
    private let tls: NIOSSLContext?
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    /// How often discovery may run (the guidelines' rate limit).
    static let minimumInterval: Duration = .milliseconds(250)
    /// How often ``follow()`` checks that its sentinel still answers.
    static let subscriptionCheckInterval: Duration = .seconds(1)

    private struct State {
        var sentinels: [RedisEndpoint.Address]
        var master: RedisEndpoint.Address?
        /// The discovery running or about to run; its future completes with the master.
        var discovery: EventLoopFuture<RedisEndpoint.Address>?
        var lastDiscovery: ContinuousClock.Instant?
        var lastFailure: DoormanError?
        var onSwitch: (@Sendable (RedisEndpoint.Address) -> Void)?
        var discoveries = 0
    }

    private let state: Mutex<State>

    init(configuration: RedisConfiguration, sentinels: [RedisEndpoint.Address], masterName: String, tls: NIOSSLContext?,
         eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.masterName = masterName
        self.tls = tls
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.state = Mutex(State(sentinels: sentinels))
    }

    /// Called with the new address whenever the master changes.
    func onSwitch(_ body: @escaping @Sendable (RedisEndpoint.Address) -> Void) {
        state.withLock { $0.onSwitch = body }
    }

    /// The master in use now; `nil` until a sentinel named one.
    var master: RedisEndpoint.Address? { state.withLock { $0.master } }

    /// How many times the sentinels were asked (for tests).
    var discoveries: Int { state.withLock { $0.discoveries } }

    /// The master, waiting at most `timeout` for a discovery when none is
    /// known yet. Throws `.unavailable` when none is known by then.
    func currentMaster(within timeout: Duration) async throws -> RedisEndpoint.Address {
        enum Next { case known(RedisEndpoint.Address), wait(EventLoopFuture<RedisEndpoint.Address>), failed(DoormanError) }
        let next: Next = state.withLock { state in
            if let master = state.master { return .known(master) }
            if let discovery = state.discovery { return .wait(discovery) }
            if let failure = state.lastFailure, let last = state.lastDiscovery, ContinuousClock.now < last + Self.minimumInterval {
                return .failed(failure)
            }
            return .wait(startDiscovery(&state))
        }
        switch next {
        case .known(let master): return master
        case .failed(let error): throw error
        case .wait(let future):
            return try await Self.wait(for: future, timeout: timeout, on: eventLoopGroup.next()) {
                DoormanError(.unavailable, "Redis through Sentinel: no master known yet (asking the sentinels for '\(self.masterName)')")
            }
        }
    }

    /// The master may have changed: ask the sentinels again (at most every
    /// 250 ms; one discovery at a time). Returns at once.
    func suspect() {
        state.withLock { state in
            if state.discovery == nil { _ = startDiscovery(&state) }
        }
    }

    /// Starts a discovery task (called with the lock held, none running).
    /// The task waits out the rate limit first.
    private func startDiscovery(_ state: inout State) -> EventLoopFuture<RedisEndpoint.Address> {
        let promise = eventLoopGroup.next().makePromise(of: RedisEndpoint.Address.self)
        state.discovery = promise.futureResult
        let notBefore = state.lastDiscovery.map { $0 + Self.minimumInterval }
        // Unstructured on purpose: it must outlive the login that asked (which
        // waits for it only up to its deadline); the future ends it for everyone.
        Task {
            if let notBefore, ContinuousClock.now < notBefore { try? await Task.sleep(until: notBefore) }
            let result = await self.discover()
            var newFailure = false
            let switched: (RedisEndpoint.Address, (@Sendable (RedisEndpoint.Address) -> Void)?)? = self.state.withLock { state in
                state.discovery = nil
                switch result {
                case .success(let address):
                    state.lastFailure = nil
                    guard state.master != address else { return nil }
                    defer { state.master = address }
                    // The first master found has no connections to drop (and
                    // dropping would cancel the one being opened to it).
                    return (address, state.master == nil ? nil : state.onSwitch)
                case .failure(let error):
                    newFailure = state.lastFailure?.message != error.message
                    state.lastFailure = error
                    return nil
                }
            }
            if let (address, onSwitch) = switched {
                logger.info("redis master is now \(address) (sentinel)", metadata: ["master_name": "\(masterName)"])
                onSwitch?(address)
            }
            switch result {
            case .success(let address): promise.succeed(address)
            case .failure(let error):
                // Once per reason, not once per attempt while the sentinels stay away.
                if newFailure { logger.warning("no sentinel named the Redis master", metadata: ["reason": "\(error.message)"]) }
                promise.fail(error)
            }
        }
        return promise.futureResult
    }

    /// Asks each sentinel in turn; the first that names the master wins and
    /// moves to the front.
    private func discover() async -> Result<RedisEndpoint.Address, DoormanError> {
        let sentinels = state.withLock { state in
            state.lastDiscovery = .now
            state.discoveries += 1
            return state.sentinels
        }
        var reasons: [String] = []
        var unknown = 0
        for sentinel in sentinels {
            do {
                let connection = try await connect(to: sentinel)
                defer { connection.close() }
                let reply = try await ask(connection, ["SENTINEL", "get-master-addr-by-name", masterName])
                switch reply {
                case .array(let parts) where parts.count == 2 && parts[0].text != nil && parts[1].text.flatMap({ Int($0) }) != nil:
                    let host = parts[0].text!, port = Int(parts[1].text!)!
                    state.withLock { state in
                        if let index = state.sentinels.firstIndex(of: sentinel), index > 0 {
                            state.sentinels.remove(at: index)
                            state.sentinels.insert(sentinel, at: 0)
                        }
                    }
                    return .success(RedisEndpoint.Address(host: host, port: port))
                case .null:
                    unknown += 1
                    reasons.append("\(sentinel): no master named '\(masterName)'")
                case .error(let message):
                    reasons.append("\(sentinel): \(message)")
                default:
                    reasons.append("\(sentinel): an unexpected reply")
                }
            } catch {
                reasons.append((error as? DoormanError)?.message ?? "\(sentinel): \(error)")
            }
        }
        if unknown > 0 && unknown == reasons.count {
            return .failure(DoormanError(.unavailable, "Redis through Sentinel: no sentinel knows a master named '\(masterName)' (asked \(sentinels.map(\.description).joined(separator: ", ")))"))
        }
        return .failure(DoormanError(.unavailable, "Redis through Sentinel: no sentinel named the master '\(masterName)': \(reasons.joined(separator: "; "))"))
    }

    /// Follows `+switch-master` until cancelled: subscribes on one sentinel
    /// (the first that answers), asks for the master again once subscribed (a
    /// switch may have happened unseen), checks with `PING` every second that
    /// the sentinel still answers, and moves on to the next one, with back-off,
    /// when it does not.
    func follow() async {
        var index = 0
        var backoff = configuration.retryBackoff
        guard !state.withLock({ $0.sentinels.isEmpty }) else { return }
        while !Task.isCancelled {
            let sentinel = state.withLock { state in state.sentinels[index % state.sentinels.count] }
            var subscribed: RedisClientConnection?
            do {
                let connection = try await connect(to: sentinel) { [weak self] message in self?.received(message) }
                subscribed = connection
                guard case .array(let parts) = try await ask(connection, ["SUBSCRIBE", "+switch-master"]), parts.first?.text == "subscribe" else {
                    throw DoormanError(.unavailable, "\(sentinel) refused SUBSCRIBE +switch-master")
                }
                logger.debug("following +switch-master", metadata: ["sentinel": "\(sentinel)"])
                state.withLock { state in state.lastDiscovery = nil }  // no wait: this is news
                suspect()
                backoff = configuration.retryBackoff
                while !Task.isCancelled {
                    try await Task.sleep(for: Self.subscriptionCheckInterval)
                    guard connection.isUsable else { throw DoormanError(.unavailable, "\(sentinel) closed the connection") }
                    _ = try await ask(connection, ["PING"])
                }
            } catch {
                subscribed?.close()
                subscribed = nil
                if Task.isCancelled { break }
                logger.notice("lost the sentinel subscription; trying the next sentinel",
                              metadata: ["sentinel": "\(sentinel)", "reason": "\((error as? DoormanError)?.message ?? "\(error)")"])
                index += 1
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, configuration.maxRetryBackoff)
            }
            subscribed?.close()
        }
    }

    /// A message on `+switch-master`: `NAME OLD-HOST OLD-PORT NEW-HOST NEW-PORT`.
    private func received(_ message: RedisReply) {
        guard case .array(let parts) = message, parts.count == 3, parts[1].text == "+switch-master", let payload = parts[2].text else { return }
        let fields = payload.split(separator: " ")
        guard fields.count == 5, fields[0] == masterName, let port = Int(fields[4]) else { return }
        let address = RedisEndpoint.Address(host: String(fields[3]), port: port)
        let onSwitch: (@Sendable (RedisEndpoint.Address) -> Void)?? = state.withLock { state in
            guard state.master != address else { return .none }
            defer { state.master = address }
            state.lastFailure = nil
            return .some(state.master == nil ? nil : state.onSwitch)
        }
        guard case .some(let callback) = onSwitch else { return }
        logger.info("redis master is now \(address) (sentinel)", metadata: ["master_name": "\(masterName)", "via": "+switch-master"])
        callback?(address)
    }

    // MARK: Talking to sentinels

    /// A connection to one sentinel: TLS as the URL says, no `AUTH` or
    /// `SELECT` (a sentinel has no databases; ``ask(_:_:)`` logs in when asked).
    private func connect(to sentinel: RedisEndpoint.Address, push: (@Sendable (RedisReply) -> Void)? = nil) async throws -> RedisClientConnection {
        let endpoint = RedisEndpoint(transport: .tcp(host: sentinel.host, port: sentinel.port), usesTLS: configuration.endpoint.usesTLS)
        return try await RedisClientConnection.connect(configuration: configuration, endpoint: endpoint, timeout: configuration.commandTimeout,
                                                       tls: tls, group: eventLoopGroup, push: push)
    }

    /// Sends one command within the Redis deadline; on `NOAUTH`, logs in with
    /// the URL's user and password and sends it again.
    private func ask(_ connection: RedisClientConnection, _ arguments: [String]) async throws -> RedisReply {
        func send(_ arguments: [String]) async throws -> RedisReply {
            let deadline = NIODeadline.now() + TimeAmount(configuration.commandTimeout)
            do {
                return try await connection.send(RedisCommandEncoder.encode(arguments.map { Array($0.utf8) }), deadline: deadline)
            } catch is RedisTimeoutError {
                throw DoormanError(.unavailable, "a sentinel did not answer within \(configuration.commandTimeout.milliseconds)")
            }
        }
        let reply = try await send(arguments)
        let endpoint = configuration.endpoint
        guard case .error(let message) = reply, message.hasPrefix("NOAUTH"), let password = endpoint.password else { return reply }
        if case .error(let refusal) = try await send(["AUTH"] + (endpoint.username.map { [$0] } ?? []) + [password]) {
            throw DoormanError(.unavailable, "a sentinel refused the login: \(refusal)")
        }
        return try await send(arguments)
    }

    /// `future`'s value, or `timeout()` thrown once `timeout` has passed.
    static func wait<Value: Sendable>(for future: EventLoopFuture<Value>, timeout: Duration, on eventLoop: any EventLoop,
                                      _ failure: @escaping @Sendable () -> DoormanError) async throws -> Value {
        let promise = eventLoop.makePromise(of: Value.self)
        let done = Once()
        let timer = eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            if done.claim() { promise.fail(failure()) }
        }
        future.whenComplete { result in
            if done.claim() { promise.completeWith(result) }
        }
        defer { timer.cancel() }
        return try await promise.futureResult.get()
    }
}

/// `true` for the first caller of ``claim()`` only: so that a promise raced by
/// a timer and a result is completed once.
private final class Once: Sendable {
    private let claimed = Atomic<Bool>(false)
    func claim() -> Bool { !claimed.exchange(true, ordering: .acquiringAndReleasing) }
}
