import ArgumentParser
import DoormanCore
import DoormanHTTP
import DoormanLocalBackend
import DoormanRedis
import DoormanRuntime
import DoormanUI
import Foundation
import Logging

/// `doorman` with no subcommand: the terminal UI.
struct TerminalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Open the terminal UI (the default).",
        discussion: """
        Log in with a username and password, browse the products, and see which store authenticated \
        you (Redis or PostgreSQL) with a live panel of every login in the process. Press ? in the UI \
        for the keys. Locally (the default) the UI uses the configured database and Redis, or the \
        embedded ones; with --remote it logs in through a Doorman HTTP server and shows the store the \
        server reports; with --serve it also serves the HTTP API while it runs, and its logins appear \
        in the panel. While the UI runs, log lines go to <state dir>/ui.log.
        """
    )

    @Option(help: ArgumentHelp(
        "dark (default), light, high-contrast, monochrome, or a theme of yours in ~/.config/doorman/themes. Default: $DOORMAN_THEME. NO_COLOR turns colours off.",
        valueName: "name"))
    var theme: String?

    @Option(help: ArgumentHelp("Log in and fetch products through the Doorman HTTP server at this URL.", valueName: "http[s]://host:port"))
    var remote: String?

    @Option(name: .customLong("cacert"), help: ArgumentHelp("With an https:// --remote: the PEM file of the CA that signed the server's certificate (default: the system's).", valueName: "file"))
    var caCertificate: String?

    @Option(help: ArgumentHelp("Also serve the HTTP API on 127.0.0.1 at this port while the UI runs (0 picks a free port).", valueName: "port"))
    var serve: Int?

    @OptionGroup var options: CommonOptions

    func validate() throws {
        if let serve, !(0...65535).contains(serve) { throw ValidationError("--serve must be a port between 0 and 65535") }
        if remote != nil && serve != nil { throw ValidationError("--serve needs the local mode: leave out --remote") }
        if remote != nil && (options.databaseURL != nil || options.redisURL != nil) {
            throw ValidationError("--remote talks to a server that has its own database and cache: leave out --database-url and --redis-url")
        }
    }

    func run() async throws {
        var exit = TerminalUI.Exit.quit
        try await runReportingErrorsAsync(options) { settings in
            let terminal = TerminalSettings.resolve(theme: theme, stateDirectory: settings.stack.stateDirectory)
            func configuration(_ backend: any UIBackend) -> TerminalUI.Configuration {
                TerminalUI.Configuration(
                    backend: backend, themeName: terminal.themeName, themes: .standard(userDirectory: terminal.userThemeDirectory),
                    noColor: terminal.noColor, logFile: terminal.logFile, keysFile: terminal.keysFile)
            }
            if let remote {
                let backend = try RemoteBackend(endpoint: try RemoteEndpoint(url: remote), caFile: caCertificate)
                exit = try await TerminalUI.run(configuration(backend))
                return
            }
            try await withRuntime(settings) { runtime in
            await runtime.prepareForLogins(listen: true)
            var hosted: LocalBackend.HostedServer?
            var running: RunningHTTPServer?
            if let serve {
                let server = DoormanHTTPServer(configuration: HTTPServerConfiguration(port: serve), auth: runtime.auth,
                                               catalog: runtime.catalog, health: runtime.healthChecks,
                                               fleet: runtime.fleetReader, logger: Logger(label: "doorman.http"))
                do {
                    running = try await server.start()
                } catch {
                    throw DoormanError(.unavailable, "cannot serve on 127.0.0.1:\(serve): \(ServeCommand.describe(error))")
                }
                hosted = LocalBackend.HostedServer(url: "http://\(running!.address)", metrics: server.metrics)
            }
            let database = switch settings.database {
            case .embedded: "embedded PostgreSQL"
            case .libpqEnvironment: "PostgreSQL from PG*"
            case .url: "PostgreSQL from --database-url"
            }
            let cache = switch settings.cache {
            case .embedded: "embedded Redis"
            case .disabled: "cache off (--no-cache)"
            default: runtime.cacheDescription
            }
            // O stops and starts the embedded Redis, when Redis is the embedded one.
            let embeddedRedis: EmbeddedRedisSwitch? = if case .embedded = settings.cache, let stack = runtime.stack {
                EmbeddedRedisSwitch(stop: { try stack.stopRedis() }, start: { try stack.startRedis() })
            } else {
                nil
            }
            let backend = LocalBackend(auth: runtime.auth, catalog: runtime.catalog, detail: "\(database) · \(cache)", server: hosted,
                                       healthChecks: runtime.healthChecks, fleet: runtime.fleetReader, embeddedRedis: embeddedRedis)
            do {
                exit = try await TerminalUI.run(configuration(backend))
            } catch {
                embeddedRedis?.restore()
                await running?.stop()
                throw error
            }
            // A Redis this UI stopped runs again for the stack's other users.
            embeddedRedis?.restore()
            await running?.stop()
            }
        }
        if case .signal(let number) = exit {
            // Everything is cleaned up (the terminal, the stack): now end the way the signal meant.
            TerminalUI.reraise(number)
        }
    }
}
