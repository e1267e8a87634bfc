import ArgumentParser

/// `doorman`: log in against PostgreSQL with a Redis cache, and see which store answered.
@main
struct Doorman: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doorman",
        abstract: "Log users in against PostgreSQL with a Redis cache, and show which store answered.",
        discussion: """
        With no subcommand, Doorman opens its terminal UI (`doorman ui`), which takes these options \
        as well as the common ones:
          --theme <name>   dark (default), light, high-contrast, monochrome, yours
          --remote <url>   log in through a Doorman HTTP server, not the stores
          --serve <port>   also serve the HTTP API while the UI runs
        (see `doorman ui --help`). Without --database-url / DATABASE_URL \
        (or libpq's PG* variables) and --redis-url / REDIS_URL, it runs its own private PostgreSQL \
        and Redis under the state directory and stops them when the last Doorman process exits.
        """,
        version: DoormanVersion.current,
        subcommands: [
            TerminalCommand.self,
            LoginCommand.self,
            ServeCommand.self,
            DatabaseCommand.self,
            UserCommand.self,
            CacheCommand.self,
            FleetCommand.self,
            StackCommand.self,
        ],
        defaultSubcommand: TerminalCommand.self
    )
}

enum DoormanVersion {
    static let current = "0.1.0"
}
