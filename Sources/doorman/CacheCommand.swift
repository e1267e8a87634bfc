import ArgumentParser
import DoormanCore

/// `doorman cache …`: the Redis copy of users' hashes.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect and flush the Redis cache.",
        subcommands: [Flush.self]
    )

    /// `doorman cache flush [USER]`.
    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop one user's cached hash, or every one Doorman cached.",
            discussion: "Only Doorman's keys (doorman:auth:*) are removed; other data in Redis is left alone. The next login reads PostgreSQL."
        )

        @Argument(help: "The user whose entry to drop; all users when left out.")
        var username: String?

        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await runReportingErrorsAsync(options) { settings in
                if let username { try Credentials.validate(username: username) }
                try await withRuntime(settings) { runtime in
                    if let username {
                        let removed = try await runtime.auth.flushCache(for: username)
                        print(removed ? "flushed the cached hash of \(username)" : "no cached hash for \(username)")
                    } else {
                        let count = try await runtime.auth.flushCache()
                        print("flushed \(count) cached \(count == 1 ? "hash" : "hashes")")
                    }
                }
            }
        }
    }
}
