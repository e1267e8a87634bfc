import DoormanCore
import Foundation

/// `rediss://`: RESP over Doorman's own TLS stream, because Debian's hiredis
/// 0.14 has no TLS. hiredis still does the protocol: `redisFormatCommandArgv`
/// encodes each command and its reader decodes replies, however the TLS
/// records split them.
final class RedisTLSTransport: RedisTransport {
    private let stream: TLSStream
    private let reader = RedisReplyReader()
    private var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    private var broken = false

    /// Connects to `host:port` and completes the TLS handshake. Throws
    /// `.unavailable` naming what failed (for example "TLS handshake failed:
    /// certificate verify failed: hostname mismatch").
    init(host: String, port: Int, endpoint: RedisEndpoint, context: TLSClientContext, connectTimeout: Duration, commandTimeout: Duration) throws {
        // A server that went away must not kill the process with SIGPIPE
        // when OpenSSL writes to the socket.
        signal(SIGPIPE, SIG_IGN)
        do {
            stream = try TLSStream(host: host, port: port, context: context, connectTimeout: connectTimeout, ioTimeout: commandTimeout)
        } catch let failure as TransportFailure {
            throw DoormanError(.unavailable, "cannot connect to Redis at \(endpoint.redactedURL): \(failure.reason)")
        }
    }

    var isReusable: Bool { !broken && !stream.failed }

    /// The TLS version agreed on with the server, e.g. `TLSv1.3`.
    var protocolVersion: String { stream.protocolVersion }

    func roundTrip(_ arguments: [[UInt8]]) throws -> RedisReply {
        guard isReusable else {
            throw DoormanError(.unavailable, "Redis: the connection failed earlier and cannot be used")
        }
        do {
            let command = try RedisCommandEncoder.encode(arguments)
            try command.withUnsafeBytes { try stream.write($0) }
            while true {
                if let reply = try reader.next() { return reply }
                let count = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) }
                try buffer.withUnsafeBytes { try reader.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
        } catch let failure as TransportFailure {
            broken = true
            throw DoormanError(failure.timedOut ? .timeout : .unavailable, "Redis: \(failure.reason)")
        } catch {
            broken = true
            throw error
        }
    }
}
