import DoormanCore
import NIOCore
import NIOSSL
import NIOTLS
import Synchronization

/// One command on its way to Redis: its RESP bytes (made by hiredis'
/// formatter off the event loop), the slot its reply completes, and the
/// instant past which it fails.
struct RedisRequest: Sendable {
    var bytes: [UInt8]
    var reply: RedisReplySlot
    var deadline: NIODeadline
}

/// Why a connection stopped being usable, shared between the handler (on the
/// event loop) and the code that picks connections (anywhere).
final class RedisConnectionState: Sendable {
    private let broken = Atomic<Bool>(false)
    private let handshake = Atomic<Bool>(false)
    /// `true` once a TLS handshake completed on this connection.
    var handshakeCompleted: Bool { handshake.load(ordering: .acquiring) }
    func markHandshakeCompleted() { handshake.store(true, ordering: .releasing) }
    /// `false` once the connection failed, timed out or was closed.
    var isUsable: Bool { !broken.load(ordering: .acquiring) }
    func markBroken() { broken.store(true, ordering: .releasing) }
    private let reason = Mutex<(any Error)?>(nil)
    /// Why the connection broke, as its handler saw it first.
    var failure: (any Error)? { reason.withLock { $0 } }
    func recordFailure(_ error: any Error) {
        reason.withLock { if $0 == nil { $0 = error } }
        markBroken()
    }
}

/// A command's reply did not come before its deadline (the connection is closed).
struct RedisTimeoutError: Error {}

/// Speaks RESP over a NIO channel with hiredis' reader: requests go out in the
/// order they are written and wait in a FIFO for their replies, so the
/// commands of concurrent logins pipeline on one connection. Writes are
/// flushed once per event-loop tick, not once per command.
///
/// Every request carries a deadline. One timer watches the earliest of them;
/// a request past its deadline closes the connection, failing everything
/// pending on it (a reply cannot be skipped, so the connection is no longer
/// usable). Any I/O, TLS or protocol error does the same.
final class RedisChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var reply: RedisReplySlot
        var deadline: NIODeadline
    }

    private let reader = RedisReplyReader()
    private let state: RedisConnectionState
    private var pending = CircularBuffer<Pending>(initialCapacity: 16)
    private var failure: (any Error)?
    private var flushScheduled = false
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var context: ChannelHandlerContext?
    /// On a subscribed connection: gets each published message
    /// (`["message", channel, payload]`), which answers no request.
    private let push: (@Sendable (RedisReply) -> Void)?

    init(state: RedisConnectionState, push: (@Sendable (RedisReply) -> Void)? = nil) {
        self.state = state
        self.push = push
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(with: DoormanError(.unavailable, "Redis: the connection was closed"), context: nil)
        self.context = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            request.reply.fail(failure)
            promise?.fail(failure)
            return
        }
        pending.append(Pending(reply: request.reply, deadline: request.deadline))
        context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: request.bytes)), promise: promise)
        armTimer(for: request.deadline, context: context)
        if !flushScheduled {
            flushScheduled = true
            context.eventLoop.assumeIsolated().execute {
                self.flushScheduled = false
                self.context?.flush()
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { try reader.feed($0) }
            while let reply = try reader.next() {
                if let push, case .array(let parts) = reply, parts.first?.text == "message" {
                    push(reply)
                    continue
                }
                guard let head = pending.popFirst() else {
                    throw DoormanError(.unavailable, "Redis: a reply came that nobody asked for")
                }
                head.reply.succeed(reply)
            }
        } catch {
            fail(with: error, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(with: DoormanError(.unavailable, "Redis closed the connection"), context: nil)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted? = event as? TLSUserEvent { state.markHandshakeCompleted() }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(with: Self.describe(error), context: context)
    }

    private func armTimer(for deadline: NIODeadline, context: ChannelHandlerContext) {
        if let current = timerDeadline, current <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timerFired()
        }
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        guard let context, failure == nil else { return }
        let now = NIODeadline.now()
        if pending.contains(where: { $0.deadline <= now }) {
            fail(with: RedisTimeoutError(), context: context)
        } else if let next = pending.map(\.deadline).min() {
            armTimer(for: next, context: context)
        }
    }

    /// Fails every pending request with `error`, refuses later ones, and closes the channel.
    private func fail(with error: any Error, context: ChannelHandlerContext?) {
        state.recordFailure(error)
        if failure == nil { failure = error }
        timer?.cancel()
        timer = nil
        timerDeadline = nil
        while let head = pending.popFirst() { head.reply.fail(error) }
        context?.close(promise: nil)
    }

    /// Turns NIO and NIOSSL errors into Doorman's words (no secret is in any of them).
    static func describe(_ error: any Error) -> any Error {
        switch error {
        case let error as DoormanError:
            return error
        case let error as NIOSSLError:
            return DoormanError(.unavailable, "Redis: TLS handshake failed: \(tlsReason(error))")
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            // NIOSSL checks the name (or, for an IP literal, the address) once the chain is verified.
            let what = "\(error)".contains("<none>") ? "IP address mismatch" : "hostname mismatch"
            return DoormanError(.unavailable, "Redis: TLS handshake failed: certificate verify failed: \(what) (the server's certificate does not name it)")
        case let error as NIOSSLExtraError:
            return DoormanError(.unavailable, "Redis: TLS handshake failed: \(error)")
        default:
            return DoormanError(.unavailable, "Redis: connection error: \(error)")
        }
    }

    private static func tlsReason(_ error: NIOSSLError) -> String {
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "certificate verify failed: the server's certificate does not chain to a trusted CA"
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") || text.contains("HTTP_REQUEST") {
            return "the server does not speak TLS on this port"
        }
        switch error {
        case .uncleanShutdown: return "the server closed the connection during the handshake"
        default: return text
        }
    }
}
