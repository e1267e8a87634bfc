/// The store that vouched for a user's password.
///
/// PostgreSQL is the source of truth; Redis holds a cache-aside copy of each
/// user's hash; the optional in-memory tier remembers, for a short while, that
/// a user's credentials were checked. Every successful login names exactly one.
public enum AuthSource: String, Sendable, Hashable, CaseIterable, Codable {
    /// The hash came from the Redis cache.
    case redis
    /// The hash came from PostgreSQL (and was then cached in Redis).
    case postgres
    /// The same credentials passed a bcrypt check moments ago, in this
    /// process (`--memory-cache`).
    case memory

    /// The name the seed application used in its JSON (`"Redis Server"`,
    /// `"PostgreSQL Server"`); clients of the seed's API depend on it.
    public var serverName: String {
        switch self {
        case .redis: "Redis Server"
        case .postgres: "PostgreSQL Server"
        case .memory: "Memory"
        }
    }

    /// The short, human name: `Redis` or `PostgreSQL`.
    public var displayName: String {
        switch self {
        case .redis: "Redis"
        case .postgres: "PostgreSQL"
        case .memory: "Memory"
        }
    }
}
