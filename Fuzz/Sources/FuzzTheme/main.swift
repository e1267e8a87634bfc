// libFuzzer target: Theme.parse(_:name:path:), then every role of a theme that
// parses, resolved for each kind of terminal. No top-level code: libFuzzer owns `main`.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTheme(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    do {
        let theme = try Theme.parse(text, name: "fuzz", path: "fuzz.theme")
        for role in Role.all {
            for support in [ColorSupport.monochrome, .colors(8), .colors(16), .colors(88), .colors(256)] {
                _ = theme.style(for: role, on: support).description
            }
        }
        _ = theme.rolesRelyingOnTerminalBackground
    } catch {
        // Errors name the file and line, and print in one line.
        precondition(error.path == "fuzz.theme")
        _ = error.description
        _ = error.shortDescription
    }
    return 0
}
