import ArgumentParser
import DoormanStack

/// `doorman stack …`: the embedded PostgreSQL and Redis, by hand.
struct StackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stack",
        abstract: "Start, stop and inspect the embedded PostgreSQL and Redis.",
        discussion: """
        Doorman starts its embedded servers by itself when nothing else is configured, and stops them \
        when the last Doorman process exits. "stack up" starts them and keeps them running until "stack down".
        """,
        subcommands: [Up.self, Down.self, Status.self]
    )

    /// `doorman stack up`.
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the embedded servers and keep them running; print their URLs.",
            discussion: "The output can be evaluated by a shell: eval \"$(doorman stack up)\"."
        )

        @Flag(name: .customLong("tcp"), help: "Also listen on free loopback TCP ports.")
        var tcp = false

        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await runReportingErrorsAsync(options) { settings in
                var configuration = settings.stack
                configuration.listenOnTCP = tcp
                let stack = try EmbeddedStack.up(configuration, migrations: try settings.migrations())
                print("DATABASE_URL='\(stack.databaseURL)'")
                print("REDIS_URL='\(stack.redisURL)'")
                if let address = stack.postgresTCPAddress { print("# PostgreSQL also on \(address.host):\(address.port)") }
                if let address = stack.redisTCPAddress { print("# Redis also on \(address.host):\(address.port)") }
            }
        }
    }

    /// `doorman stack down`.
    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded servers.")

        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await runReportingErrorsAsync(options) { settings in
                let clients = try EmbeddedStack.down(settings.stack)
                if !clients.isEmpty {
                    printError("doorman: warning: stopped while in use by process \(clients.map(String.init).joined(separator: ", "))")
                }
                print("stopped the embedded stack in \(settings.stack.stateDirectory)")
            }
        }
    }

    /// `doorman stack status`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show whether the embedded servers run, and where.")

        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await runReportingErrorsAsync(options) { settings in
                let status = EmbeddedStack.status(settings.stack)
                print("state directory: \(status.stateDirectory)")
                print("PostgreSQL:      \(status.postgresRunning ? "running  \(status.databaseURL)" : "stopped")")
                print("Redis:           \(status.redisRunning ? "running  \(status.redisURL)" : "stopped")")
                print("kept running:    \(status.pinned ? "yes (doorman stack up)" : "no")")
                print("in use by:       \(status.clients.isEmpty ? "no Doorman process" : status.clients.map(String.init).joined(separator: ", "))")
                if !(status.postgresRunning && status.redisRunning) { throw ExitCode(3) }
            }
        }
    }
}
