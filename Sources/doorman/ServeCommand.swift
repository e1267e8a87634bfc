import ArgumentParser
import DoormanCore
import DoormanHTTP
import DoormanRuntime
import Foundation
import Logging

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

    @OptionGroup var options: CommonOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be at least 1 second") }
    }

    func run() async throws {
        try await runReportingErrorsAsync(options, defaultLogLevel: .info) { settings in
            var settings = settings
            try settings.resolveMetrics(token: metricsToken, address: metricsAddress)
            try await withRuntime(settings) { runtime in
            await runtime.prepareForLogins(listen: true)
            let server = DoormanHTTPServer(
                configuration: HTTPServerConfiguration(host: host, port: port, idleTimeout: .seconds(idleTimeout),
                                                       metricsToken: settings.metricsToken, metricsAddress: settings.metricsAddress),
                auth: runtime.auth,
                catalog: runtime.catalog,
                health: runtime.healthChecks,
                logger: Logger(label: "doorman.http"))
            do {
                try await server.runUntilSignalled()
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
}
