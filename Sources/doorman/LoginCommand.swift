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
        a terminal (one line). Prints e.g. "Authenticated by Redis Server (lookup 0.06 ms, bcrypt 45.8 ms)"; \
        input the rules refuse says why, e.g. "Authentication failed: the password is empty.".
        Exit status: 0 authenticated, 1 authentication failed (or too many failures: it says how long \
        to wait), 2 a store could not be reached.
        """
    )

    @Argument(help: "The username.")
    var username: String

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await runReportingErrorsAsync(options) { settings in
            // Input the rules refuse is a failed login, explained as the UI
            // explains it (the rules are public; nothing typed is echoed):
            // `Authentication failed: the password is empty.`
            func refuse(_ error: DoormanError) -> ExitCode {
                printError("\(AuthOutcome.failureMessage.dropLast()): \(error.message).")
                return ExitCode(ExitStatus.failure)
            }
            do {
                try Credentials.validate(username: username)
            } catch let error as DoormanError {
                throw refuse(error)
            }
            let password: String
            do {
                password = try PasswordPrompt.read()
                try Credentials.validate(password: password)
            } catch let error as DoormanError where error.kind == .invalidInput {
                throw refuse(error)
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
