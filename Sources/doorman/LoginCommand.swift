import ArgumentParser
import DoormanAuth
import DoormanCore
import Foundation

/// `doorman login USER`: one login, no UI.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in once and print which store authenticated the user.",
        discussion: """
        The password is read from the terminal without echo, or from standard input when it is not \
        a terminal (one line). Prints e.g. "Authenticated by Redis Server (lookup 0.06 ms, bcrypt 45.8 ms)".
        Exit status: 0 authenticated, 1 authentication failed (or too many failures: it says how long \
        to wait), 2 a store could not be reached.
        """
    )

    @Argument(help: "The username.")
    var username: String

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await runReportingErrorsAsync(options) { settings in
            let password: String
            do {
                password = try PasswordPrompt.read()
            } catch let error as DoormanError where error.kind == .invalidInput {
                // A malformed password is a failed login like any other.
                printError(AuthOutcome.failureMessage)
                throw ExitCode(ExitStatus.failure)
            }
            try await withRuntime(settings) { runtime in
                await runtime.prepareForLogins(listen: false)
                let outcome = await runtime.auth.authenticate(username: username, password: password, origin: .cli)
                switch outcome.result {
                case .authenticated:
                    print(outcome.summary)
                case .rejected:
                    printError(AuthOutcome.failureMessage)
                    throw ExitCode(ExitStatus.failure)
                case .unavailable:
                    printError("doorman: \(AuthOutcome.unavailableMessage)")
                    throw ExitCode(ExitStatus.unavailable)
                case .throttled:
                    printError(outcome.summary)
                    throw ExitCode(ExitStatus.failure)
                }
            }
        }
    }
}
