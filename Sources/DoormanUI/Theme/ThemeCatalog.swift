import Foundation

/// Where themes come from: the user's theme directory first
/// (`$XDG_CONFIG_HOME/doorman/themes` or `~/.config/doorman/themes`), then the
/// themes shipped with Doorman (`themes/` in the checkout or
/// `<prefix>/share/doorman/themes`). A user theme with a shipped theme's name
/// replaces it.
public struct ThemeCatalog: Sendable {
    /// The directories searched, first match wins.
    public var directories: [URL]

    /// The default theme's name.
    static let defaultName = "dark"

    /// A catalog over `directories`.
    public init(directories: [URL]) {
        self.directories = directories
    }

    /// Every theme found, the default first, then by name.
    var names: [String] {
        var found: Set<String> = []
        for directory in directories {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for file in files where file.hasSuffix(".theme") {
                found.insert(String(file.dropLast(".theme".count)))
            }
        }
        return found.sorted { left, right in
            if left == Self.defaultName || right == Self.defaultName { return left == Self.defaultName && right != Self.defaultName }
            return left < right
        }
    }

    /// The file of the theme `name`, if any directory has one.
    func path(of name: String) -> URL? {
        directories.lazy
            .map { $0.appendingPathComponent("\(name).theme") }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Reads the theme `name`. Throws a ``ThemeError`` naming the file (and
    /// line) when it is missing or malformed.
    func load(_ name: String) throws(ThemeError) -> Theme {
        guard !name.isEmpty, !name.contains("/"), let url = path(of: name) else {
            let searched = directories.map(\.path).joined(separator: ", ")
            throw ThemeError(path: "\(name).theme", message: "no such theme (looked in \(searched.isEmpty ? "no directory" : searched); installed: \(names.joined(separator: ", ")))")
        }
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ThemeError(path: url.path, message: "cannot be read as UTF-8 text")
        }
        return try Theme.parse(text, name: name, path: url.path)
    }

    /// Reads `name`, falling back to the default theme (and then to the
    /// built-in one) when it cannot be used. Returns the theme and, when it
    /// fell back, why.
    func loadWithFallback(_ name: String) -> (theme: Theme, error: ThemeError?) {
        do {
            return (try load(name), nil)
        } catch {
            if name != Self.defaultName, let fallback = try? load(Self.defaultName) {
                return (fallback, error)
            }
            return (.builtIn, error)
        }
    }
}
