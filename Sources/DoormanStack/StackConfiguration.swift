import DoormanCore
import Foundation

/// Settings of Doorman's private PostgreSQL and Redis.
public struct StackConfiguration: Sendable {
    /// Where the servers keep their data, sockets and logs.
    public var stateDirectory: String
    /// The directory with `initdb`, `pg_ctl` and `postgres`; found automatically when `nil`.
    public var postgresBinDirectory: String?
    /// The `redis-server` program; found on `PATH` when `nil`.
    public var redisServerPath: String?
    /// `false` turns off fsync and full-page writes: faster, for tests and
    /// throwaway demos, at the price of data after a power cut.
    public var durable: Bool
    /// Also listen on free loopback TCP ports (for tools that cannot use unix
    /// sockets, such as the seed's Python app in the benchmark).
    public var listenOnTCP: Bool
    /// How long to wait for a server to start or stop.
    public var timeout: Duration
    /// TLS for the servers' TCP listeners; `nil` for none. With TLS, PostgreSQL
    /// also listens on 127.0.0.1 with `ssl = on`, and Redis gets a TLS port
    /// (its unix socket stays plain). Takes effect when a server starts.
    public var tls: StackTLS?

    /// Creates a configuration.
    public init(
        stateDirectory: String,
        postgresBinDirectory: String? = nil,
        redisServerPath: String? = nil,
        durable: Bool = true,
        listenOnTCP: Bool = false,
        timeout: Duration = .seconds(60),
        tls: StackTLS? = nil
    ) {
        self.stateDirectory = stateDirectory
        self.postgresBinDirectory = postgresBinDirectory
        self.redisServerPath = redisServerPath
        self.durable = durable
        self.listenOnTCP = listenOnTCP
        self.timeout = timeout
        self.tls = tls
    }

    /// The default state directory: `$XDG_STATE_HOME/doorman` (or
    /// `~/.local/state/doorman`); `/var/lib/doorman` for root, because
    /// PostgreSQL runs as the `postgres` user then and cannot enter `/root`.
    public static func defaultStateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if geteuid() == 0 { return "/var/lib/doorman" }
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return state + "/doorman"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/state/doorman"
    }
}

/// The certificate the embedded servers present over TLS. The files are
/// copied into each server's own directory (owned by its account, mode 0600:
/// PostgreSQL refuses a key others can read), so they may live anywhere the
/// calling user can read.
public struct StackTLS: Sendable, Equatable {
    /// The server's certificate (PEM; it may be followed by intermediates).
    public var certificateFile: String
    /// The certificate's private key (PEM, unencrypted).
    public var keyFile: String
    /// CA certificates (PEM), given to Redis as `tls-ca-cert-file`; `nil` for none.
    public var caFile: String?

    /// Creates a TLS configuration from file paths.
    public init(certificateFile: String, keyFile: String, caFile: String? = nil) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.caFile = caFile
    }
}
