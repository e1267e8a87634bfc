import ArgumentParser
import DoormanCore
import DoormanHTTP
import DoormanRedis
import DoormanRuntime
import Foundation
import Logging
import ServiceLifecycle

/// `doorman serve`: the seed's HTTP API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the login over HTTP: Basic auth, products as JSON with \"authenticated_by\".",
        discussion: """
        GET / and GET /products answer as the seed's server did ({"authenticated_by": "Redis Server" | \
        "PostgreSQL Server", "data": [...]}), with 401 for any failed login and 503 when PostgreSQL \
        cannot be reached. GET /healthz and GET /metrics (Prometheus) need no credentials. \
        Stops cleanly on SIGINT and SIGTERM.
        """
    )

    @Option(help: "The address to listen on (0.0.0.0 for every interface).")
    var host = "127.0.0.1"

    @Option(help: "The TCP port to listen on (0 picks a free one).")
    var port = 8080

    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp("Seconds before an idle or slow connection is closed.", valueName: "seconds"))
    var idleTimeout = 30

    @Option(name: .customLong("metrics-token"), help: ArgumentHelp(
        "Require 'Authorization: Bearer TOKEN' for /metrics. Default: $DOORMAN_METRICS_TOKEN. Without it, /metrics is served on loopback addresses only.",
        valueName: "token"))
    var metricsToken: String?

    @Option(name: .customLong("metrics-address"), help: ArgumentHelp(
        "Serve /metrics on a listener of its own at HOST:PORT instead of the main one. Default: $DOORMAN_METRICS_ADDRESS.",
        valueName: "host:port"))
    var metricsAddress: String?

    @Option(name: .customLong("trusted-proxy"), help: ArgumentHelp(
        "A proxy (ADDRESS or CIDR, repeatable) whose X-Forwarded-For names the client, e.g. a load balancer. Default: $DOORMAN_TRUSTED_PROXIES (comma-separated). From anyone else the header is ignored.",
        valueName: "cidr"))
    var trustedProxies: [String] = []

    @Option(name: .customLong("instance-name"), help: ArgumentHelp(
        "The name this instance gives itself in the X-Doorman-Instance header, /healthz and the metrics. Default: $DOORMAN_INSTANCE_NAME, else HOSTNAME:PORT.",
        valueName: "name"))
    var instanceName: String?

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp(
        "Serve HTTPS with this PEM certificate chain (with --tls-key). Default: $DOORMAN_TLS_CERT.", valueName: "file"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp(
        "The PEM private key of --tls-cert. Default: $DOORMAN_TLS_KEY.", valueName: "file"))
    var tlsKey: String?

    @Option(name: .customLong("admin-users"), help: ArgumentHelp(
        "Users (comma-separated) who may use the admin API (/admin/cache, /admin/throttle, /admin/users) that the UI's cache view uses over --remote. Default: $DOORMAN_ADMIN_USERS. Without it the admin API is off (404).",
        valueName: "user,..."))
    var adminUsers: String?

    @OptionGroup var options: CommonOptions

    /// `--admin-users` (else `DOORMAN_ADMIN_USERS`) as a list; empty turns the admin API off.
    static func adminUsers(_ flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        (flag ?? environment["DOORMAN_ADMIN_USERS"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be at least 1 second") }
    }

    func run() async throws {
        try await runReportingErrorsAsync(options, defaultLogLevel: .info) { settings in
            var settings = settings
            try settings.resolveMetrics(token: metricsToken, address: metricsAddress)
            try settings.resolveTrustedProxies(trustedProxies)
            let tls = try Self.tls(certificate: tlsCertificate, key: tlsKey)
            let instanceName = try Self.instanceName(instanceName ?? ProcessInfo.processInfo.environment["DOORMAN_INSTANCE_NAME"])
            var configuration = HTTPServerConfiguration(host: host, port: port, idleTimeout: .seconds(idleTimeout),
                                                        metricsToken: settings.metricsToken, metricsAddress: settings.metricsAddress,
                                                        trustedProxies: settings.trustedProxies, instanceName: instanceName, tls: tls)
            configuration.adminUsers = Self.adminUsers(adminUsers)
            try await withRuntime(settings) { runtime in
            await runtime.prepareForLogins(listen: false)
            let server = DoormanHTTPServer(
                configuration: configuration,
                auth: runtime.auth,
                catalog: runtime.catalog,
                health: runtime.healthChecks,
                changeFeed: { [runtime] in runtime.changeFeedState },
                fleet: runtime.fleetReader,
                logger: Logger(label: "doorman.http"))
            // One group: the stores' pools, the change feed, the server, then
            // the fleet view's publisher; SIGTERM or SIGINT stops them in
            // reverse order (the publisher withdraws its hash first).
            var services: [any Service] = runtime.services + [server]
            if let publisher = runtime.fleetPublisher(version: DoormanVersion.current, instanceName: { server.instanceName }) {
                services.append(publisher)
            }
            let group = ServiceGroup(configuration: .init(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "doorman.services")))
            do {
                try await group.run()
            } catch let error as DoormanError {
                throw error
            } catch {
                throw DoormanError(.unavailable, "cannot serve on \(host):\(port): \(Self.describe(error))")
            }
            }
        }
    }

    /// NIO's socket errors name the syscall; people want the reason.
    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("Address already in use") { return "the address is already in use" }
        if text.contains("Cannot assign requested address") { return "no such local address" }
        if text.contains("Permission denied") { return "permission denied (ports below 1024 need privileges)" }
        return text
    }

    /// A name for `--instance-name`: 1 to 64 printable ASCII characters (it
    /// travels in a header), or `nil` for the default.
    static func instanceName(_ text: String?) throws -> String? {
        guard let text, !text.isEmpty else { return nil }
        guard text.count <= 64, text.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw DoormanError(.configuration, "--instance-name / DOORMAN_INSTANCE_NAME must be 1 to 64 printable ASCII characters without spaces")
        }
        return text
    }

    /// `--tls-cert` and `--tls-key` (else `DOORMAN_TLS_CERT` and `DOORMAN_TLS_KEY`): both or neither.
    static func tls(certificate: String?, key: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> HTTPServerConfiguration.TLS? {
        func value(_ flag: String?, _ variable: String) -> String? { flag ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 } }
        switch (value(certificate, "DOORMAN_TLS_CERT"), value(key, "DOORMAN_TLS_KEY")) {
        case (nil, nil): return nil
        case (let certificate?, let key?): return try HTTPServerConfiguration.TLS(certificateFile: certificate, keyFile: key)
        default: throw DoormanError(.configuration, "HTTPS needs both --tls-cert and --tls-key (or DOORMAN_TLS_CERT and DOORMAN_TLS_KEY)")
        }
    }
}
