import ArgumentParser

/// `doorman` with no subcommand: the terminal UI.
struct TerminalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Open the terminal UI (the default)."
    )

    @OptionGroup var options: CommonOptions

    func run() throws {
        printError("doorman: the terminal UI is not built yet; log in with 'doorman login USER' meanwhile")
        throw ExitCode(ExitStatus.unavailable)
    }
}
