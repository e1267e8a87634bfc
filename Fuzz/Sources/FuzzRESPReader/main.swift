// libFuzzer target: RedisReplyReader (hiredis' RESP reader, as DoormanRedis
// wraps it) over arbitrary bytes in arbitrary chunks. No top-level code:
// libFuzzer owns `main`.
//
// Input: the first byte chooses how the rest is cut (0: in one piece; else
// chunks of 1...32 bytes from a small generator seeded by it), the rest is what
// "the server" sends. The same bytes are also read in one piece by a second
// reader: however they are cut, the replies (and whether the stream ends in a
// protocol error) must be the same.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESPReader(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let seed = input[0]
    let stream = UnsafeRawBufferPointer(rebasing: input[1...])

    let chunked = read(stream, seed: seed)
    let whole = read(stream, seed: 0)
    precondition(chunked.replies == whole.replies && chunked.failed == whole.failed,
                 "the replies depend on how the bytes were cut")
    return 0
}

/// Feeds `stream` to a new reader in chunks chosen by `seed`, taking every
/// whole reply after each chunk, until the end or the first protocol error.
private func read(_ stream: UnsafeRawBufferPointer, seed: UInt8) -> (replies: [RedisReply], failed: Bool) {
    let reader = RedisReplyReader()
    var replies: [RedisReply] = []
    var state = UInt32(seed) | 0x100
    var offset = 0
    do {
        while offset < stream.count {
            var length = stream.count - offset
            if seed != 0 {
                state ^= state << 13
                state ^= state >> 17
                state ^= state << 5
                length = min(length, Int(state % 32) + 1)
            }
            try reader.feed(UnsafeRawBufferPointer(rebasing: stream[offset..<(offset + length)]))
            offset += length
            while let reply = try reader.next() { replies.append(reply) }
        }
        return (replies, false)
    } catch {
        return (replies, true)
    }
}
