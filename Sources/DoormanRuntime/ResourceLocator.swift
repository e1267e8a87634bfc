import Foundation

/// Finds Doorman's data directories (`sql/`, `themes/`): installed under
/// `<prefix>/share/doorman/`, or in the source checkout the program was
/// built in (`.build/debug/doorman` → the checkout's top level).
public enum ResourceLocator {
    /// The first `name` directory that holds `marker`, searched from the
    /// running executable's directory upwards and in `../share/doorman`.
    public static func directory(named name: String, containing marker: String) -> URL? {
        var candidates: [URL] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        let executableDirectory = URL(fileURLWithPath: Bundle.main.executablePath ?? executable.path).resolvingSymlinksInPath().deletingLastPathComponent()
        candidates.append(executableDirectory.deletingLastPathComponent().appendingPathComponent("share/doorman/\(name)"))
        var directory = executableDirectory
        for _ in 0..<8 {
            candidates.append(directory.appendingPathComponent(name))
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(name))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent(marker).path) }
    }
}
