/// A reply from Redis, copied out of hiredis' `redisReply`.
public indirect enum RedisReply: Sendable, Equatable {
    /// A bulk string (binary-safe).
    case string([UInt8])
    /// A status reply such as `OK` or `PONG`.
    case status(String)
    /// An integer reply.
    case integer(Int64)
    /// A nil bulk string or array (a missing key).
    case null
    /// An array of replies.
    case array([RedisReply])
    /// An error reply such as `WRONGTYPE …` or `NOAUTH …`.
    case error(String)

    /// The reply as text, for string and status replies.
    public var text: String? {
        switch self {
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let status): status
        default: nil
        }
    }
}
