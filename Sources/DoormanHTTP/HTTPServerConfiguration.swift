/// How `doorman serve` (or a server hosted in the terminal UI) listens and
/// protects itself.
public struct HTTPServerConfiguration: Sendable {
    /// The address to bind, `127.0.0.1` by default (use `0.0.0.0` to serve the network).
    public var host: String
    /// The TCP port; 0 picks a free one.
    public var port: Int
    /// How long a connection may sit idle (or a slow client take to send its
    /// request) before it is closed.
    public var idleTimeout: Duration
    /// The most bytes of request headers accepted; larger requests get 400 and are closed.
    public var maxHeaderBytes: Int
    /// The `Retry-After` seconds sent with 503.
    public var retryAfterSeconds: Int
    /// The largest `limit` a products request may ask for.
    public var maxPageSize: Int

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        idleTimeout: Duration = .seconds(30),
        maxHeaderBytes: Int = 16 * 1024,
        retryAfterSeconds: Int = 5,
        maxPageSize: Int = 10_000
    ) {
        self.host = host
        self.port = port
        self.idleTimeout = idleTimeout
        self.maxHeaderBytes = maxHeaderBytes
        self.retryAfterSeconds = retryAfterSeconds
        self.maxPageSize = maxPageSize
    }
}
