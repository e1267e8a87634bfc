import DoormanAuth
import DoormanCore
import NIOSSL

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
    /// A token that `/metrics` requires as `Authorization: Bearer <token>`; `nil` for none.
    public var metricsToken: String?
    /// Serve `/metrics` on a listener of its own at this address (`host:port`)
    /// instead of the main one.
    public var metricsAddress: (host: String, port: Int)?
    /// Peers trusted to name the client in `X-Forwarded-For` (load balancers).
    /// From anyone else the header is ignored and the peer is the client.
    public var trustedProxies: [CIDR]
    /// The name this instance gives itself in `X-Doorman-Instance`, `/healthz`
    /// and the metrics; `nil` names it `HOSTNAME:PORT` (the port it bound).
    public var instanceName: String?
    /// HTTPS: the certificate and key to serve with; `nil` serves plain HTTP.
    public var tls: TLS?
    /// The users who may use the admin API (`/admin/cache`, `/admin/throttle`,
    /// `/admin/users`); empty (the default) turns the API off: its paths are
    /// 404 and not in `/openapi.json`. `--admin-users` / `DOORMAN_ADMIN_USERS`.
    public var adminUsers: [String] = []

    /// A certificate chain and its private key, read (and checked) from PEM files.
    public struct TLS: Sendable {
        let configuration: TLSConfiguration

        /// Reads both files; throws a `.configuration` error naming the file
        /// that cannot be read or parsed (never its contents).
        public init(certificateFile: String, keyFile: String) throws {
            let chain: [NIOSSLCertificate]
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
            } catch {
                throw DoormanError(.configuration, "--tls-cert: cannot read a PEM certificate chain from \(certificateFile)")
            }
            guard !chain.isEmpty else {
                throw DoormanError(.configuration, "--tls-cert: \(certificateFile) holds no certificate")
            }
            let key: NIOSSLPrivateKey
            do {
                key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
            } catch {
                throw DoormanError(.configuration, "--tls-key: cannot read a PEM private key from \(keyFile)")
            }
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            configuration.applicationProtocols = ["http/1.1"]
            do {
                _ = try NIOSSLContext(configuration: configuration)
            } catch {
                throw DoormanError(.configuration, "--tls-cert / --tls-key: the key does not match the certificate, or neither can be used")
            }
            self.configuration = configuration
        }
    }

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        idleTimeout: Duration = .seconds(30),
        maxHeaderBytes: Int = 16 * 1024,
        retryAfterSeconds: Int = 5,
        maxPageSize: Int = 10_000,
        metricsToken: String? = nil,
        metricsAddress: (host: String, port: Int)? = nil,
        trustedProxies: [CIDR] = [],
        instanceName: String? = nil,
        tls: TLS? = nil
    ) {
        self.host = host
        self.port = port
        self.idleTimeout = idleTimeout
        self.maxHeaderBytes = maxHeaderBytes
        self.retryAfterSeconds = retryAfterSeconds
        self.maxPageSize = maxPageSize
        self.metricsToken = metricsToken
        self.metricsAddress = metricsAddress
        self.trustedProxies = trustedProxies
        self.instanceName = instanceName
        self.tls = tls
    }

    /// Who may read `/metrics` on the main listener: anyone when it listens on
    /// loopback only, a holder of the token when one is set, and nobody (404)
    /// when metrics have a listener of their own or the main listener faces
    /// the network without a token.
    var metricsOnMainListener: MetricsAccess {
        if metricsAddress != nil { return .hidden }
        if let metricsToken { return .token(metricsToken) }
        return Self.isLoopback(host) ? .open : .hidden
    }

    /// `true` for 127.0.0.0/8, ::1 and localhost.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}

/// Who may read `/metrics` on a listener.
enum MetricsAccess: Equatable {
    /// Anyone.
    case open
    /// Requests with `Authorization: Bearer <token>`.
    case token(String)
    /// Nobody: 404, as if the path did not exist.
    case hidden
}
