internal import CHiredis
import DoormanCore
import Foundation

/// One hiredis connection. Owns its `redisContext` and frees it in `deinit`.
///
/// A hiredis context is unusable after any I/O or protocol error: the
/// connection then reports `isReusable == false` and the pool opens a new one.
/// Not thread-safe: one thread at a time.
public final class RedisConnection: PooledConnection {
    private let context: UnsafeMutablePointer<redisContext>
    private var broken = false

    /// Connects, sets the reply timeout, and runs `AUTH` and `SELECT` as the
    /// endpoint asks. Wraps `redisConnectWithTimeout` / `redisConnectUnixWithTimeout`
    /// and `redisSetTimeout`.
    public init(configuration: RedisConfiguration) throws {
        let endpoint = configuration.endpoint
        guard !endpoint.usesTLS else {
            throw DoormanError(.configuration, "rediss:// (TLS) is not supported by this build")
        }
        let connectTimeout = timeval(configuration.connectTimeout)
        let made: UnsafeMutablePointer<redisContext>?
        switch endpoint.transport {
        case .tcp(let host, let port):
            made = redisConnectWithTimeout(host, Int32(port), connectTimeout)
        case .unix(let path):
            made = redisConnectUnixWithTimeout(path, connectTimeout)
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
        guard redisSetTimeout(context, timeval(configuration.commandTimeout)) == REDIS_OK else {
            throw DoormanError(.unavailable, "Redis at \(endpoint.redactedURL): cannot set the reply timeout")
        }
        if let password = endpoint.password {
            var arguments = ["AUTH"]
            if let username = endpoint.username { arguments.append(username) }
            arguments.append(password)
            if case .error(let message) = try command(arguments) {
                // Redis' own words ("WRONGPASS invalid username-password pair") hold no secret.
                throw DoormanError(.unavailable, "Redis at \(endpoint.redactedURL) refused the login: \(message)")
            }
        }
        if endpoint.database != 0 {
            if case .error(let message) = try command(["SELECT", String(endpoint.database)]) {
                throw DoormanError(.configuration, "Redis at \(endpoint.redactedURL): cannot select database \(endpoint.database): \(message)")
            }
        }
    }

    deinit {
        redisFree(context)
    }

    /// `false` after any I/O or protocol error.
    public var isReusable: Bool { !broken && context.pointee.err == 0 }

    /// Sends one command and waits for its reply. Binary-safe: wraps
    /// `redisCommandArgv` with explicit lengths.
    ///
    /// Throws `.unavailable` (and marks the connection dead) on I/O errors
    /// and timeouts; an error *reply* from Redis is returned as `.error`.
    public func command(_ arguments: [String]) throws -> RedisReply {
        try command(arguments.map { Array($0.utf8) })
    }

    /// ``command(_:)-([String])`` with raw byte arguments.
    public func command(_ arguments: [[UInt8]]) throws -> RedisReply {
        let lengths = arguments.map(\.count)
        var storage = [UInt8]()
        storage.reserveCapacity(lengths.reduce(0, +))
        for argument in arguments { storage.append(contentsOf: argument) }
        let raw: UnsafeMutableRawPointer? = storage.withUnsafeBufferPointer { buffer in
            var pointers: [UnsafePointer<CChar>?] = []
            pointers.reserveCapacity(arguments.count)
            var offset = 0
            let base = UnsafeRawPointer(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            for length in lengths {
                pointers.append((base + offset).assumingMemoryBound(to: CChar.self))
                offset += length
            }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { argvlen in
                    redisCommandArgv(context, Int32(arguments.count), argv.baseAddress, argvlen.baseAddress)
                }
            }
        }
        guard let raw else {
            broken = true
            let reason = Self.errorString(context)
            throw DoormanError(context.pointee.err == REDIS_ERR_IO && reason.contains("timed out") ? .timeout : .unavailable,
                               "Redis: \(reason)")
        }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return Self.copy(reply)
    }

    private static func copy(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        switch value.type {
        case doorman_redis_reply_string():
            return .string(bytes(value.str, value.len))
        case doorman_redis_reply_status():
            return .status(String(decoding: bytes(value.str, value.len), as: UTF8.self))
        case doorman_redis_reply_error():
            return .error(String(decoding: bytes(value.str, value.len), as: UTF8.self))
        case doorman_redis_reply_integer():
            return .integer(value.integer)
        case doorman_redis_reply_array():
            var elements: [RedisReply] = []
            elements.reserveCapacity(Int(value.elements))
            for index in 0..<Int(value.elements) {
                if let element = value.element[index] { elements.append(copy(element)) } else { elements.append(.null) }
            }
            return .array(elements)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
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
    /// A `timeval` from a Swift duration.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
