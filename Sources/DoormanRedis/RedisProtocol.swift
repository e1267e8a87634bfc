internal import CHiredis
import DoormanCore

/// Encodes commands in RESP with hiredis' own formatter, for transports that
/// move the bytes themselves (TLS). Transport-independent: no socket involved.
enum RedisCommandEncoder {
    /// The RESP bytes of one command. Binary-safe: wraps `redisFormatCommandArgv`
    /// with explicit lengths, and frees its buffer with `redisFreeCommand`.
    static func encode(_ arguments: [[UInt8]]) throws -> [UInt8] {
        var target: UnsafeMutablePointer<CChar>?
        let length = withArgv(arguments) { argc, argv, argvlen in
            redisFormatCommandArgv(&target, argc, argv, argvlen)
        }
        guard length >= 0, let target else {
            throw DoormanError(.unavailable, "Redis: out of memory while encoding a command")
        }
        defer { redisFreeCommand(target) }
        return Array(UnsafeRawBufferPointer(start: target, count: Int(length)))
    }
}

/// hiredis' RESP reader: bytes in, whole replies out, however the bytes were
/// split on the way (a reply may arrive over many reads, and one read may hold
/// the end of one reply and the start of the next). Owns its `redisReader`
/// and frees it in `deinit`. Not thread-safe: one connection, one thread.
///
/// hiredis allocates an array's element pointers as soon as it reads the
/// array's header, before any element arrives: the 14 bytes `*2147483647\r\n`
/// ask for 16 GiB (found by `make fuzz`). So the reader refuses, as a protocol
/// error, a reply whose arrays announce more than `maxElementsPerReply`
/// elements in all (nested arrays count towards the same reply).
final class RedisReplyReader {
    /// The default bound: far above any reply Doorman asks for (MGET of a
    /// batch, SCAN pages of 500), 8 MiB of element pointers at most.
    static let defaultMaxElementsPerReply = 1 << 20

    private let handle: UnsafeMutablePointer<redisReader>
    /// hiredis' own reply functions, with `createArray` bounded; the reader
    /// points at it, so it lives as long as the reader.
    private let functions: UnsafeMutablePointer<redisReplyObjectFunctions>
    /// What the bounded `createArray` reads and counts (the reader's privdata).
    private let budget: UnsafeMutablePointer<ElementBudget>

    /// Wraps `redisReaderCreate` (replies built as hiredis `redisReply`
    /// objects), with `createArray` bounded by `maxElementsPerReply`.
    init(maxElementsPerReply: Int = RedisReplyReader.defaultMaxElementsPerReply) {
        guard let made = redisReaderCreate(), let defaults = made.pointee.fn else {
            fatalError("hiredis could not allocate a reply reader (out of memory)")
        }
        handle = made
        budget = .allocate(capacity: 1)
        budget.initialize(to: ElementBudget(limit: maxElementsPerReply, remaining: maxElementsPerReply, exceeded: false, createArray: defaults.pointee.createArray))
        functions = .allocate(capacity: 1)
        functions.initialize(to: defaults.pointee)
        functions.pointee.createArray = { task, elements in
            guard let task, let budget = task.pointee.privdata?.assumingMemoryBound(to: ElementBudget.self) else { return nil }
            guard elements >= 0, Int(elements) <= budget.pointee.remaining else {
                budget.pointee.exceeded = true
                return nil  // hiredis: an error, the stream is unusable
            }
            budget.pointee.remaining -= Int(elements)
            return budget.pointee.createArray?(task, elements)
        }
        handle.pointee.fn = functions
        handle.pointee.privdata = UnsafeMutableRawPointer(budget)
    }

    deinit {
        redisReaderFree(handle)  // frees a half-read reply through `functions`
        functions.deallocate()
        budget.deallocate()
    }

    /// Hands bytes read from the server to the reader. Wraps `redisReaderFeed`.
    func feed(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard redisReaderFeed(handle, base.assumingMemoryBound(to: CChar.self), bytes.count) == REDIS_OK else {
            throw protocolError()
        }
    }

    /// The next whole reply, or `nil` when more bytes are needed.
    /// Wraps `redisReaderGetReply`; throws `.unavailable` on a protocol error
    /// (the stream is then unusable).
    func next() throws -> RedisReply? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(handle, &raw) == REDIS_OK else {
            throw protocolError()
        }
        guard let raw else { return nil }
        budget.pointee.remaining = budget.pointee.limit
        defer { freeReplyObject(raw) }
        return RedisReply(copying: raw.assumingMemoryBound(to: redisReply.self))
    }

    private func protocolError() -> DoormanError {
        if budget.pointee.exceeded {
            return DoormanError(.unavailable, "Redis: protocol error: a reply announces more than \(budget.pointee.limit) array elements")
        }
        let reason = withUnsafeBytes(of: handle.pointee.errstr) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return DoormanError(.unavailable, "Redis: protocol error: \(reason.isEmpty ? "unreadable reply" : reason)")
    }
}

/// The element count left to one reply, and hiredis' own `createArray`.
private struct ElementBudget {
    var limit: Int
    var remaining: Int
    var exceeded: Bool
    var createArray: (@convention(c) (UnsafePointer<redisReadTask>?, Int32) -> UnsafeMutableRawPointer?)?
}

extension RedisReply {
    /// Copies a hiredis reply (and its elements) into Swift values; the
    /// caller still frees `reply`.
    init(copying reply: UnsafeMutablePointer<redisReply>) {
        let value = reply.pointee
        switch value.type {
        case doorman_redis_reply_string():
            self = .string(Self.bytes(value.str, value.len))
        case doorman_redis_reply_status():
            self = .status(String(decoding: Self.bytes(value.str, value.len), as: UTF8.self))
        case doorman_redis_reply_error():
            self = .error(String(decoding: Self.bytes(value.str, value.len), as: UTF8.self))
        case doorman_redis_reply_integer():
            self = .integer(value.integer)
        case doorman_redis_reply_array():
            var elements: [RedisReply] = []
            elements.reserveCapacity(Int(value.elements))
            for index in 0..<Int(value.elements) {
                if let element = value.element[index] { elements.append(RedisReply(copying: element)) } else { elements.append(.null) }
            }
            self = .array(elements)
        default:
            self = .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }
}

/// Calls `body` with C `argc`/`argv`/`argvlen` pointing into one buffer that
/// holds every argument back to back (binary-safe: lengths are explicit).
func withArgv<T>(_ arguments: [[UInt8]], _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int>?) -> T) -> T {
    let lengths = arguments.map(\.count)
    var storage = [UInt8]()
    storage.reserveCapacity(lengths.reduce(0, +))
    for argument in arguments { storage.append(contentsOf: argument) }
    return storage.withUnsafeBufferPointer { buffer in
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
                body(Int32(arguments.count), argv.baseAddress, argvlen.baseAddress)
            }
        }
    }
}
