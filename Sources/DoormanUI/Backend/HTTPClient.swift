import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 client on NIO, for the remote mode: one GET per
/// connection, with a connect timeout, a whole-request deadline and a bound
/// on the body. NIO is already part of Doorman (the HTTP server runs on it),
/// so this adds no library; URLSession would pull in FoundationNetworking and
/// libcurl, and async-http-client BoringSSL.
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
    var connectTimeout: TimeAmount = .seconds(3)
    var requestTimeout: TimeAmount = .seconds(15)
    var maxBodyBytes = 64 << 20

    init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    /// `GET path` on `host:port` with `headers`.
    func get(host: String, port: Int, path: String, headers: [(String, String)]) async throws(Failure) -> Response {
        let promise = group.next().makePromise(of: Response.self)
        let limit = maxBodyBytes
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(connectTimeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
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
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
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
        promise.fail(HTTPClient.Failure.failed("\(error)"))
        context.close(promise: nil)
    }
}
