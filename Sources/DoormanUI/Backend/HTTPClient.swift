import DoormanCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small HTTP/1.1 client on NIO, for the remote mode: one GET per
/// connection, with a connect timeout, a whole-request deadline and a bound
/// on the body, over TLS (NIOSSL, which Doorman already links for Redis) for
/// `https://`. NIO is already part of Doorman (the HTTP server runs on it);
/// URLSession would pull in FoundationNetworking and libcurl.
struct HTTPClient: Sendable {
    /// An answer.
    struct Response: Sendable {
        /// The status code.
        var status: Int
        /// The headers.
        var headers: HTTPHeaders
        /// The body.
        var body: [UInt8]
    }

    /// Why a request got no answer.
    enum Failure: Error, Equatable {
        /// Nothing listens there.
        case connectionRefused
        /// No connection within the connect timeout, or no answer before the deadline.
        case timedOut
        /// The body was larger than allowed.
        case tooLarge
        /// Anything else (name resolution, a reset connection, a malformed answer).
        case failed(String)
    }

    let group: any EventLoopGroup
    /// For `https://`: the TLS context (trust roots); `nil` speaks plain HTTP.
    let tls: NIOSSLContext?
    var connectTimeout: TimeAmount = .seconds(3)
    var requestTimeout: TimeAmount = .seconds(15)
    var maxBodyBytes = 64 << 20

    init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, tls: NIOSSLContext? = nil) {
        self.group = group
        self.tls = tls
    }

    /// A TLS context that verifies the server's chain (against `caFile`, a PEM
    /// file, or the system's store) and its name or address; TLS 1.2 or later.
    static func tlsContext(caFile: String?) throws(DoormanError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        if let caFile {
            guard let roots = try? NIOSSLCertificate.fromPEMFile(caFile), !roots.isEmpty else {
                throw DoormanError(.configuration, "--cacert: cannot read a PEM certificate from \(caFile)")
            }
            configuration.trustRoots = .certificates(roots)
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw DoormanError(.configuration, "--cacert: cannot set up TLS with \(caFile ?? "the system's certificates")")
        }
    }

    /// `GET path` on `host:port` with `headers`.
    func get(host: String, port: Int, path: String, headers: [(String, String)]) async throws(Failure) -> Response {
        try await send(.GET, host: host, port: port, path: path, headers: headers)
    }

    /// `method path` (without a body) on `host:port` with `headers`.
    func send(_ method: HTTPMethod, host: String, port: Int, path: String, headers: [(String, String)]) async throws(Failure) -> Response {
        let promise = group.next().makePromise(of: Response.self)
        let limit = maxBodyBytes, tls = tls
        // SNI and name checks use the host name; an address is checked against the certificate's IP entries.
        let serverName = host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(connectTimeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise, limit: limit))
                    }
                }
                .connect(host: host, port: port)
                .get()
        } catch {
            promise.fail(error)
            throw Self.classify(error)
        }
        let deadline = channel.eventLoop.scheduleTask(in: requestTimeout) {
            promise.fail(Failure.timedOut)
            channel.close(promise: nil)
        }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: port == 80 ? host : "\(host):\(port)")
        head.headers.add(name: "User-Agent", value: "doorman-ui")
        head.headers.add(name: "Accept", value: "application/json")
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        do {
            return try await promise.futureResult.get()
        } catch {
            throw Self.classify(error)
        }
    }

    private static func classify(_ error: any Error) -> Failure {
        if let failure = error as? Failure { return failure }
        if let channelError = error as? ChannelError, case .connectTimeout = channelError { return .timedOut }
        let text = "\(error)"
        if error is NIOSSLError || error is BoringSSLError || text.contains("handshakeFailed") || text.contains("certificate verify failed") {
            return .failed("the TLS handshake failed: is the server's certificate signed by --cacert's CA, and for this host?")
        }
        if text.contains("Connection refused") || text.contains("connectionRefused") { return .connectionRefused }
        if text.contains("connectTimeout") || text.contains("timed out") { return .timedOut }
        return .failed(text)
    }
}

/// Collects one response and completes the promise with it.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<HTTPClient.Response>
    private let limit: Int
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    init(promise: EventLoopPromise<HTTPClient.Response>, limit: Int) {
        self.promise = promise
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let received):
            head = received
        case .body(var buffer):
            guard body.count + buffer.readableBytes <= limit else {
                promise.fail(HTTPClient.Failure.tooLarge)
                context.close(promise: nil)
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            if let head {
                promise.succeed(HTTPClient.Response(status: Int(head.status.code), headers: head.headers, body: body))
            } else {
                promise.fail(HTTPClient.Failure.failed("an answer without a status line"))
            }
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(HTTPClient.Failure.failed("the server closed the connection before answering"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)  // classified by HTTPClient (TLS, resets, malformed answers)
        context.close(promise: nil)
    }
}
