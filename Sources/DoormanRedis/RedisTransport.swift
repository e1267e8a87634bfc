internal import CHiredis
import DoormanCore
import Foundation

/// How a ``RedisConnection`` moves commands and replies: hiredis' own blocking
/// context for TCP and unix sockets, or RESP over Doorman's TLS stream for
/// `rediss://`. Either way a transport is dead after any I/O or protocol error.
protocol RedisTransport: AnyObject {
    /// `false` after any I/O or protocol error.
    var isReusable: Bool { get }
    /// Sends one command and waits for its whole reply. Throws `.timeout` when
    /// no reply came in time and `.unavailable` on any other I/O or protocol
    /// error (and is dead afterwards); an error *reply* is returned as `.error`.
    func roundTrip(_ arguments: [[UInt8]]) throws -> RedisReply
}

/// Plain TCP or a unix socket, through a hiredis blocking `redisContext`,
/// which this class owns and frees in `deinit`.
final class HiredisTransport: RedisTransport {
    private let context: UnsafeMutablePointer<redisContext>
    private var broken = false

    /// Connects and sets the reply timeout. Wraps `redisConnectWithTimeout` /
    /// `redisConnectUnixWithTimeout` and `redisSetTimeout`.
    init(endpoint: RedisEndpoint, connectTimeout: Duration, commandTimeout: Duration) throws {
        let made: UnsafeMutablePointer<redisContext>?
        switch endpoint.transport {
        case .tcp(let host, let port):
            made = redisConnectWithTimeout(host, Int32(port), timeval(connectTimeout))
        case .unix(let path):
            made = redisConnectUnixWithTimeout(path, timeval(connectTimeout))
        }
        guard let made else {
            throw DoormanError(.unavailable, "cannot connect to Redis at \(endpoint.redactedURL): out of memory")
        }
        if made.pointee.err != 0 {
            let reason = Self.errorString(made)
            redisFree(made)
            throw DoormanError(.unavailable, "cannot connect to Redis at \(endpoint.redactedURL): \(reason)")
        }
        context = made
        guard redisSetTimeout(context, timeval(commandTimeout)) == REDIS_OK else {
            throw DoormanError(.unavailable, "Redis at \(endpoint.redactedURL): cannot set the reply timeout")
        }
    }

    deinit {
        redisFree(context)
    }

    var isReusable: Bool { !broken && context.pointee.err == 0 }

    /// Wraps `redisCommandArgv` with explicit lengths (binary-safe).
    func roundTrip(_ arguments: [[UInt8]]) throws -> RedisReply {
        let raw: UnsafeMutableRawPointer? = withArgv(arguments) { argc, argv, argvlen in
            redisCommandArgv(context, argc, argv, argvlen)
        }
        guard let raw else {
            broken = true
            let reason = Self.errorString(context)
            throw DoormanError(context.pointee.err == REDIS_ERR_IO && reason.contains("timed out") ? .timeout : .unavailable,
                               "Redis: \(reason)")
        }
        defer { freeReplyObject(raw) }
        return RedisReply(copying: raw.assumingMemoryBound(to: redisReply.self))
    }

    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        var message = withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if message.isEmpty { message = "connection error \(context.pointee.err)" }
        if message.contains("Resource temporarily unavailable") { message = "timed out waiting for a reply" }
        return message
    }
}

extension timeval {
    /// A `timeval` from a Swift duration (at least one microsecond: a zero
    /// `timeval` means "no timeout" to the kernel and to hiredis).
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let microseconds = Int(attoseconds / 1_000_000_000_000)
        if seconds <= 0 && microseconds <= 0 {
            self.init(tv_sec: 0, tv_usec: 1)
        } else {
            self.init(tv_sec: Int(seconds), tv_usec: microseconds)
        }
    }
}
