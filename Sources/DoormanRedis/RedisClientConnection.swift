import DoormanCore
import NIOCore
import NIOPosix
import NIOSSL

/// One connection to Redis over a NIO channel: TCP, a unix-domain socket, or
/// TLS (NIOSSL) for `rediss://`. Commands written from any thread pipeline in
/// the channel's ``RedisChannelHandler``; nothing here blocks a thread.
final class RedisClientConnection: Sendable {
    let channel: any Channel
    private let state: RedisConnectionState

    private init(channel: any Channel, state: RedisConnectionState) {
        self.channel = channel
        self.state = state
    }

    /// `false` once the connection failed, timed out or was closed.
    var isUsable: Bool { state.isUsable && channel.isActive }

    /// Sends commands (already in RESP) back to back, in one hop to the
    /// channel's event loop; each reply's slot fails at `deadline`. `last`
    /// observes the last reply (replies come in order: it lands last).
    func send(_ commands: [[UInt8]], deadline: NIODeadline,
              last: (@Sendable (Result<RedisReply, any Error>) -> Void)? = nil) -> [RedisReplySlot] {
        let replies = commands.indices.map { RedisReplySlot(observer: $0 == commands.count - 1 ? last : nil) }
        let channel = channel, state = state
        channel.eventLoop.execute {
            for (bytes, reply) in zip(commands, replies) {
                // A write that fails never reached the handler (the channel was closed):
                // fail the reply once the channel is closed, so that the handler's own
                // reason (a TLS alert, a timeout) wins over NIO's "I/O on closed channel".
                let written = channel.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenFailure { error in
                    channel.closeFuture.whenComplete { _ in reply.fail(state.failure ?? RedisChannelHandler.describe(error)) }
                }
                channel.write(RedisRequest(bytes: bytes, reply: reply, deadline: deadline), promise: written)
            }
        }
        return replies
    }

    /// Sends one command (already in RESP) and waits for its reply, which fails at `deadline`.
    func send(_ bytes: [UInt8], deadline: NIODeadline) async throws -> RedisReply {
        try await send([bytes], deadline: deadline)[0].value()
    }

    /// Closes the channel (pending commands fail).
    func close() {
        state.markBroken()
        channel.close(promise: nil)
    }

    /// Connects, then runs `AUTH` and `SELECT` as the endpoint asks, all within
    /// `connectTimeout`. TCP sockets get SO_KEEPALIVE and TCP_USER_TIMEOUT, so
    /// that a half-open connection is noticed by the kernel too.
    ///
    /// `endpoint` (a TCP or unix endpoint) overrides the configuration's, for
    /// the master and the sentinels found through Sentinel; `timeout` overrides
    /// `connectTimeout`; `push` makes a connection for `SUBSCRIBE`.
    static func connect(
        configuration: RedisConfiguration, endpoint: RedisEndpoint? = nil, timeout: Duration? = nil,
        tls: NIOSSLContext?, group: any EventLoopGroup, push: (@Sendable (RedisReply) -> Void)? = nil
    ) async throws -> RedisClientConnection {
        let endpoint = endpoint ?? configuration.endpoint
        let connectTimeout = timeout ?? configuration.connectTimeout
        let state = RedisConnectionState()
        let started = NIODeadline.now()
        let deadline = started + TimeAmount(connectTimeout)
        var bootstrap = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(connectTimeout))
        let channel: any Channel
        do {
            switch endpoint.transport {
            case .tcp(let host, let port):
                let serverHostname: String? = host.isIPAddress ? nil : host  // an IP address is checked against the certificate's IP SANs
                bootstrap = bootstrap
                    .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
                    .channelOption(ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: CInt(TCP_USER_TIMEOUT))),
                                   value: Self.tcpUserTimeoutMilliseconds)
                    .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            if let tls {
                                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                            }
                            try channel.pipeline.syncOperations.addHandler(RedisChannelHandler(state: state, push: push))
                        }
                    }
                channel = try await bootstrap.connect(host: host, port: port).get()
            case .unix(let path):
                guard tls == nil else {
                    throw DoormanError(.configuration, "Redis at \(endpoint.redactedURL): TLS needs a host and port, not a unix socket")
                }
                bootstrap = bootstrap.channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RedisChannelHandler(state: state))
                    }
                }
                channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            case .sentinel:
                throw DoormanError(.configuration, "Redis at \(endpoint.redactedURL): ask the sentinels for the master first")
            }
        } catch let error as DoormanError {
            throw error
        } catch {
            throw DoormanError(.unavailable, "cannot connect to Redis at \(endpoint.redactedURL): \(Self.reason(error))")
        }
        let connection = RedisClientConnection(channel: channel, state: state)
        do {
            var commands: [[String]] = []
            if let password = endpoint.password {
                commands.append(["AUTH"] + (endpoint.username.map { [$0] } ?? []) + [password])
            }
            if endpoint.database != 0 { commands.append(["SELECT", String(endpoint.database)]) }
            // Over TLS, one round trip before the connection is handed out, so
            // that the handshake (and its certificate checks) is part of
            // connecting, under connectTimeout, and not of a command's deadline.
            if tls != nil && commands.isEmpty { commands.append(["PING"]) }
            let replies = connection.send(try commands.map { try RedisCommandEncoder.encode($0.map { Array($0.utf8) }) }, deadline: deadline)
            for (index, reply) in replies.enumerated() {
                if case .error(let message) = try await reply.value() {
                    // Redis' own words ("WRONGPASS invalid username-password pair") hold no secret.
                    if commands[index][0] == "AUTH" {
                        throw DoormanError(.unavailable, "Redis at \(endpoint.redactedURL) refused the login: \(message)")
                    }
                    throw DoormanError(.configuration, "Redis at \(endpoint.redactedURL): cannot select database \(endpoint.database): \(message)")
                }
            }
        } catch {
            connection.close()
            if error is RedisTimeoutError, tls != nil, !state.handshakeCompleted {
                throw DoormanError(.timeout, "Redis at \(endpoint.redactedURL): the TLS handshake did not complete within \(connectTimeout.milliseconds) (does that port speak TLS?)")
            }
            if error is RedisTimeoutError {
                throw DoormanError(.timeout, "Redis at \(endpoint.redactedURL) did not answer within \(connectTimeout.milliseconds) of connecting")
            }
            throw error
        }
        return connection
    }

    /// TCP_USER_TIMEOUT: unacknowledged data for this long drops the connection.
    static let tcpUserTimeoutMilliseconds = 5_000

    private static func reason(_ error: any Error) -> String {
        if let error = error as? ChannelError, case .connectTimeout = error { return "connection timed out" }
        if let error = error as? IOError { return error.description }
        if let error = error as? NIOConnectionError {
            return (error.connectionErrors.first.map { "\($0.error)" }) ?? (error.dnsAAAAError ?? error.dnsAError).map { "\($0)" } ?? "connection failed"
        }
        return "\(error)"
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension String {
    var isIPAddress: Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, self, &v4) == 1 || inet_pton(AF_INET6, self, &v6) == 1
    }
}
