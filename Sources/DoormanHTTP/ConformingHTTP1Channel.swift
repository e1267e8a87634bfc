import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 channel, with one handler added where the HTTP
/// version is still known (Hummingbird's request type has none):
/// ``HTTP1VersionRules`` closes HTTP/1.0 connections after the answer unless
/// the client asked for keep-alive (RFC 9112 §9.3), and marks HTTP/1.1
/// requests without exactly one Host header (RFC 9112 §3.2) for
/// ``ConformanceMiddleware`` to refuse with 400.
struct ConformingHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let idleTimeout: TimeAmount?
    let decoderLimits: NIOHTTPDecoderLimitConfiguration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // NIOAsyncChannel serialises requests
                withErrorHandling: false,  // the Application handles parser errors
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: decoderLimits
            )
            try channel.pipeline.syncOperations.addHandler(HTTP1VersionRules())
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout.map { .init($0) }, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

/// The HTTP/1 rules that need the request's version, applied before it is lost:
/// - HTTP/1.0 without `Connection: keep-alive`: the request gets
///   `Connection: close` (Hummingbird then closes after the answer) and the
///   answer says `Connection: close`; with keep-alive, the answer says
///   `Connection: keep-alive`, which 1.0 clients wait for.
/// - HTTP/1.1 with no Host header, or more than one: the request is marked
///   with ``badHostHeader`` (a header no client can smuggle in: any they send
///   is removed) and the connection closes after the 400.
final class HTTP1VersionRules: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The marker header's name; its value is `missing` or `repeated`.
    static let badHostHeader = "Doorman-Bad-Host"

    private enum Persistence { case asUsual, close, keepAlive10 }
    /// One entry per request whose answer has not been written yet, in order.
    private var pending: [Persistence] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        // The usual request (HTTP/1.1, one Host, no marker) passes as it came:
        // a head changed here is a copy of its headers on every request.
        let persistence: Persistence
        var rewritten: HTTPRequestHead? = nil
        if head.headers.contains(name: Self.badHostHeader) {
            rewritten = head
            rewritten?.headers.remove(name: Self.badHostHeader)
        }
        if head.version == .http1_0 {
            if head.isKeepAlive {
                persistence = .keepAlive10
            } else {
                if rewritten == nil { rewritten = head }
                rewritten?.headers.replaceOrAdd(name: "connection", value: "close")
                persistence = .close
            }
        } else if head.version == .http1_1, case let hosts = head.headers["host"].count, hosts != 1 {
            if rewritten == nil { rewritten = head }
            rewritten?.headers.add(name: Self.badHostHeader, value: hosts == 0 ? "missing" : "repeated")
            rewritten?.headers.replaceOrAdd(name: "connection", value: "close")
            persistence = .close
        } else {
            persistence = .asUsual
        }
        pending.append(persistence)
        context.fireChannelRead(rewritten.map { wrapInboundOut(.head($0)) } ?? data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        switch pending.isEmpty ? .asUsual : pending.removeFirst() {
        case .asUsual:
            context.write(data, promise: promise)
            return
        case .close: head.headers.replaceOrAdd(name: "connection", value: "close")
        case .keepAlive10: head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }
}
