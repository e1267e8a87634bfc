import Foundation

/// Calls `body` with NUL-terminated copies of `strings` (a `nil` entry stays
/// NULL) followed by a terminating NULL: the `char *[]` shape of `argv`,
/// `envp` and libpq's keyword and parameter arrays. The copies live for the
/// call only.
public func withCStringArray<T>(_ strings: [String?], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } } + [nil]
    defer { copies.forEach { free($0) } }
    return body(copies)
}
