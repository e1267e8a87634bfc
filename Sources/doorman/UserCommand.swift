import ArgumentParser
import DoormanCore
import DoormanPasswords

/// `doorman user …`: accounts in PostgreSQL.
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Add, change, delete and list users.",
        discussion: "Passwords are read from the terminal without echo (twice), or from standard input; never from the command line.",
        subcommands: [Add.self, Passwd.self, Delete.self, List.self, Unlock.self]
    )

    /// `doorman user add USER`.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user with a new password.")

        @Argument(help: "The username (1 to 50 characters).")
        var username: String

        @Option(help: "bcrypt cost (4 to 31).")
        var cost: Int = BCrypt.defaultCost

        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await runReportingErrorsAsync(options) { settings in
                let username = try PRECIS.enforceNewUsername(self.username)
                try Credentials.validate(username: username)
                let hash = try BCrypt.hash(try PasswordPrompt.read(confirm: true), cost: cost)
                try await withRuntime(settings) { runtime in
                    // Names are one account when RFC 8265 prepares them alike
                    // (an NFD twin, a fullwidth spelling of an existing row).
                    if try await runtime.postgres.usernames().contains(where: { PRECIS.prepareUsername($0) == username }) {
                        throw DoormanError(.invalidInput, "user '\(username)' already exists (names are compared as RFC 8265 prepares them)")
                    }
                    try await runtime.postgres.addUser(username, passwordHash: hash)
                    _ = try? await runtime.auth.flushCache(for: username)
                    print("added user \(username)")
                }
            }
        }
    }

    /// `doorman user passwd USER`.
    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password; the cached hash is dropped at once.")

        @Argument(help: "The username.")
        var username: String

        @Option(help: "bcrypt cost (4 to 31).")
        var cost: Int = BCrypt.defaultCost

        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await runReportingErrorsAsync(options) { settings in
                let username = PRECIS.prepareUsername(self.username)
                try Credentials.validate(username: username)
                let hash = try BCrypt.hash(try PasswordPrompt.read(prompt: "New password: ", confirm: true), cost: cost)
                try await withRuntime(settings) { runtime in
                    try await runtime.postgres.setPasswordHash(hash, for: username)
                    _ = try? await runtime.auth.flushCache(for: username)
                    print("changed the password of \(username)")
                }
            }
        }
    }

    /// `doorman user del USER`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Delete a user; the cached hash is dropped at once.")

        @Argument(help: "The username.")
        var username: String

        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await runReportingErrorsAsync(options) { settings in
                let username = PRECIS.prepareUsername(self.username)
                try Credentials.validate(username: username)
                try await withRuntime(settings) { runtime in
                    try await runtime.postgres.deleteUser(username)
                    _ = try? await runtime.auth.flushCache(for: username)
                    print("deleted user \(username)")
                }
            }
        }
    }

    /// `doorman user unlock USER`.
    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clear the failed-login counters that lock a user out.",
            discussion: """
            Removes the account's counter and every client's counter for that account, in Redis. \
            Per-client counters (one address trying many accounts) are left alone.
            """
        )

        @Argument(help: "The username.")
        var username: String

        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await runReportingErrorsAsync(options) { settings in
                let username = PRECIS.prepareUsername(self.username)
                try Credentials.validate(username: username)
                try await withRuntime(settings) { runtime in
                    let removed = try await runtime.auth.unlock(username)
                    print(removed == 0 ? "\(username) was not locked" : "unlocked \(username) (\(removed) \(removed == 1 ? "counter" : "counters") cleared)")
                }
            }
        }
    }

    /// `doorman user list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List usernames.")

        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await runReportingErrorsAsync(options) { settings in
                try await withRuntime(settings) { runtime in
                    for name in try await runtime.postgres.usernames() { print(name) }
                }
            }
        }
    }
}
