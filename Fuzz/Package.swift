// swift-tools-version:6.2
// libFuzzer targets for Doorman's parsers of untrusted input (issue 10, item 9).
// Kept out of the project's own build: `make fuzz` builds this package with
// `--sanitize=fuzzer --sanitize=address` and runs each target for a bounded time.
//
// The project's package has no library products and these types are partly
// internal, so each target compiles the project's own source files through
// symlinks (Sources/DoormanCore, Sources/CHiredis, and the files inside
// Sources/Fuzz*): what is fuzzed is always the code on the branch.
import PackageDescription

let package = Package(
    name: "DoormanFuzz",
    platforms: [.macOS(.v15)],
    targets: [
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        // The project's DoormanCore, whole (it needs only Foundation).
        .target(name: "DoormanCore"),

        // 1. BasicAuthorization.parse / parseExplained and Base64 (DoormanHTTP; the file compiled into the target).
        .executableTarget(name: "FuzzBasicAuthorization", dependencies: ["DoormanCore"]),
        // 2. RedisReplyReader (internal to DoormanRedis): RedisProtocol.swift and
        //    RedisReply.swift compiled into the fuzz target itself.
        .executableTarget(name: "FuzzRESPReader", dependencies: ["CHiredis", "DoormanCore"]),
        // 3. Theme.parse (DoormanUI): the Theme and Text folders and Role.swift.
        .executableTarget(name: "FuzzTheme", dependencies: ["DoormanCore"]),
    ]
)
