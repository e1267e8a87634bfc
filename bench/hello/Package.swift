// swift-tools-version:6.2
// The bench's yardstick: a minimal Hummingbird 2 server, one route, one JSON body.
// `make bench` builds it in release; scripts/bench.py runs it next to `doorman serve --memory-cache`
// with the same wrk settings, so the memory tier is measured as a share of what Hummingbird itself
// answers on this machine (issue 9: at least 70%). Its /bcrypt route adds one bcrypt check per request on a
// pool of one thread per core, as Doorman's verifier runs it: the yardstick of the bcrypt paths. Its own
// package, so Doorman's build never sees it.
import PackageDescription

let package = Package(
    name: "hello",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
    ],
    targets: [
        .systemLibrary(name: "CCrypt"),
        .executableTarget(name: "hello", dependencies: [
            "CCrypt",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    ]
)
