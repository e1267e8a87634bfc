// swift-tools-version:6.2
// The bench's yardstick: a minimal Hummingbird 2 server, one route, one JSON body.
// `make bench` builds it in release; scripts/bench.py runs it next to `doorman serve --memory-cache`
// with the same wrk settings, so the memory tier is measured as a share of what Hummingbird itself
// answers on this machine (issue 9: at least 70%). Its own package, so Doorman's build never sees it.
import PackageDescription

let package = Package(
    name: "hello",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
    ],
    targets: [
        .executableTarget(name: "hello", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
    ]
)
