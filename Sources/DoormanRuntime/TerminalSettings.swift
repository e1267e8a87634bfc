import Foundation

/// The terminal UI's settings from its flags and the environment, read here
/// with the rest of Doorman's environment.
///
/// | Setting | Flag | Environment |
/// |---|---|---|
/// | theme | `--theme` | `DOORMAN_THEME` |
/// | no colours | | `NO_COLOR` (any non-empty value) |
/// | your themes | | `$XDG_CONFIG_HOME/doorman/themes`, else `~/.config/doorman/themes` |
/// | your keys | | `$XDG_CONFIG_HOME/doorman/keys`, else `~/.config/doorman/keys` |
/// | log file | | `<state directory>/ui.log` |
public struct TerminalSettings: Sendable, Equatable {
    /// The theme to start with; `nil` for the default.
    public var themeName: String?
    /// `true` when `NO_COLOR` is set to anything but the empty string.
    public var noColor: Bool
    /// Where the user's own themes live (searched before the shipped ones).
    public var userThemeDirectory: String?
    /// The user's keys file (it need not exist).
    public var keysFile: String?
    /// Where standard error goes while the UI owns the screen.
    public var logFile: String

    /// Resolves the settings; the flag wins over `DOORMAN_THEME`.
    public static func resolve(
        theme: String? = nil,
        stateDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> TerminalSettings {
        func nonEmpty(_ name: String) -> String? {
            environment[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        var configDirectory: String?
        if let config = nonEmpty("XDG_CONFIG_HOME"), config.hasPrefix("/") {
            configDirectory = config + "/doorman"
        } else if let home = nonEmpty("HOME") {
            configDirectory = home + "/.config/doorman"
        }
        return TerminalSettings(
            themeName: theme ?? nonEmpty("DOORMAN_THEME"),
            noColor: nonEmpty("NO_COLOR") != nil,
            userThemeDirectory: configDirectory.map { $0 + "/themes" },
            keysFile: configDirectory.map { $0 + "/keys" },
            logFile: stateDirectory + "/ui.log")
    }
}
