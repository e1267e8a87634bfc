import ArgumentParser
import DoormanPostgres

/// `doorman db …`: the database schema.
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the database schema.",
        subcommands: [Init.self]
    )

    /// `doorman db init`.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply sql/ (schema and seed data) to the configured database.",
            discussion: """
            Applies each file of sql/ not applied before, in order, in one transaction, and records it \
            in doorman_schema_migrations. Safe to run again, and on a database that already has the \
            seed's tables.
            """
        )

        @Flag(name: .customLong("schema-only"), help: "Leave out the demo users and products.")
        var schemaOnly = false

        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await runReportingErrorsAsync(options) { settings in
                let migrations = try settings.migrations()
                try await withRuntime(settings) { runtime in
                    let report = try await runtime.postgres.migrate(migrations, includeSeedData: !schemaOnly)
                    for name in report.applied { print("applied \(name)") }
                    for name in report.skipped { print("skipped \(name) (seed data)") }
                    for name in report.changedSinceApplied {
                        printError("doorman: warning: \(name) changed since it was applied; it is not applied again")
                    }
                    if report.applied.isEmpty { print("database is up to date (\(report.alreadyApplied.count) files applied)") }
                }
            }
        }
    }
}
