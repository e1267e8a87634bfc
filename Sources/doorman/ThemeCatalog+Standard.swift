import DoormanRuntime
import DoormanUI
import Foundation

extension ThemeCatalog {
    /// The user's theme directory first, then the themes shipped with Doorman
    /// (found next to the program or in `<prefix>/share/doorman/themes`).
    static func standard(userDirectory: String?) -> ThemeCatalog {
        var directories: [URL] = []
        if let userDirectory { directories.append(URL(fileURLWithPath: userDirectory)) }
        if let shipped = ResourceLocator.directory(named: "themes", containing: "dark.theme") { directories.append(shipped) }
        return ThemeCatalog(directories: directories)
    }
}
