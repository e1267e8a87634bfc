import Foundation

/// Keeps passwords from a connection string out of error messages.
///
/// libpq's messages can quote what it was given: a URI it cannot parse is
/// repeated whole (`end of string reached … in URI: "postgresql://u:pw@[::1"`)
/// and a bad percent-escape is repeated as the token (`invalid percent-encoded
/// token: "pw%zz"`), password included. Doorman passes every libpq message
/// through ``redact(_:connectionString:)`` before it becomes an error.
enum ConnectionStringRedaction {
    /// The mask put in place of a secret.
    static let mask = "***"

    /// Replaces in `message` every secret found in `connectionString`: the
    /// connection string itself (by a copy with its secrets masked), exact
    /// occurrences, and any double-quoted token that contains one or is part of one.
    static func redact(_ message: String, connectionString: String?) -> String {
        guard let connectionString else { return message }
        let secrets = Set(secrets(in: connectionString)).filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        guard !secrets.isEmpty else { return message }
        var text = message
        if text.contains(connectionString) {
            let masked = secrets.reduce(connectionString) { $0.replacingOccurrences(of: $1, with: mask) }
            text = text.replacingOccurrences(of: connectionString, with: masked)
        }
        text = maskQuotedTokens(in: text) { token in
            secrets.contains { token.contains($0) || $0.contains(token) }
        }
        for secret in secrets {
            text = text.replacingOccurrences(of: secret, with: mask)
        }
        return text
    }

    /// Secret values a connection string may hold, written as given and
    /// percent-decoded: the password in a URI's user info (read as libpq reads
    /// it, up to the first `@` or `/`, and generously, up to the last `@`
    /// before the query), and the values of `password` and `sslpassword`
    /// (URI query parameters or `key=value` pairs, even malformed ones).
    static func secrets(in connectionString: String) -> [String] {
        var found: [String] = []
        func add(_ value: Substring) {
            guard !value.isEmpty else { return }
            found.append(String(value))
            if let decoded = value.removingPercentEncoding, decoded != value { found.append(decoded) }
        }
        let secretKeys: Set<String> = ["password", "sslpassword"]

        let lowered = connectionString.lowercased()
        if let schemeEnd = ["postgresql://", "postgres://"].first(where: { lowered.hasPrefix($0) }).map({ $0.count }) {
            let rest = connectionString.dropFirst(schemeEnd)
            // libpq: user info ends at the first '@' unless a '/' comes first.
            if let stop = rest.firstIndex(where: { $0 == "@" || $0 == "/" }), rest[stop] == "@" {
                let userInfo = rest[..<stop]
                if let colon = userInfo.firstIndex(of: ":") { add(userInfo[userInfo.index(after: colon)...]) }
            }
            // Generously: up to the last '@' before the query.
            let beforeQuery = rest[..<(rest.firstIndex(of: "?") ?? rest.endIndex)]
            if let at = beforeQuery.lastIndex(of: "@") {
                let userInfo = beforeQuery[..<at]
                if let colon = userInfo.firstIndex(of: ":") { add(userInfo[userInfo.index(after: colon)...]) }
            }
            if let question = rest.firstIndex(of: "?") {
                for pair in rest[rest.index(after: question)...].split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    if parts.count == 2, secretKeys.contains(parts[0].lowercased()) { add(parts[1]) }
                }
            }
            return found
        }

        // key=value pairs: `password = 'it''s' …`, with quotes and backslash escapes.
        let characters = Array(connectionString)
        var index = 0
        func skipSpaces() { while index < characters.count, characters[index].isWhitespace { index += 1 } }
        while index < characters.count {
            skipSpaces()
            let keyStart = index
            while index < characters.count, !characters[index].isWhitespace, characters[index] != "=" { index += 1 }
            let key = String(characters[keyStart..<index]).lowercased()
            skipSpaces()
            let hasEquals = index < characters.count && characters[index] == "="
            if hasEquals { index += 1; skipSpaces() }
            // `password s3cret` (a forgotten '=') still counts: better masked than shown.
            if !hasEquals && !secretKeys.contains(key) { continue }
            var value = ""
            var raw = ""
            if index < characters.count, characters[index] == "'" {
                raw.append("'")
                index += 1
                while index < characters.count, characters[index] != "'" {
                    if characters[index] == "\\", index + 1 < characters.count {
                        raw.append(characters[index])
                        index += 1
                    }
                    value.append(characters[index])
                    raw.append(characters[index])
                    index += 1
                }
                if index < characters.count { index += 1 }
            } else {
                while index < characters.count, !characters[index].isWhitespace {
                    value.append(characters[index])
                    index += 1
                }
                raw = value
            }
            if secretKeys.contains(key) {
                add(Substring(value))
                if raw != value { add(Substring(raw)) }
            }
        }
        return found
    }

    /// Replaces each `"…"` token of `text` for which `isSecret` is true.
    private static func maskQuotedTokens(in text: String, where isSecret: (String) -> Bool) -> String {
        var result = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "\"") {
            result += rest[...open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "\"") else {
                rest = rest[afterOpen...]
                break
            }
            let token = String(rest[afterOpen..<close])
            result += !token.isEmpty && isSecret(token) ? mask : token
            result += "\""
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}
