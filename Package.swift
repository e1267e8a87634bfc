// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "Doorman",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "doorman", targets: ["doorman"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
    ],
    targets: [
        // C libraries, one thin system-library target each.
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CCrypt", pkgConfig: "libxcrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CNcursesw", providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // Swift modules.
        .target(name: "DoormanCore", dependencies: [
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "DoormanPasswords", dependencies: ["CCrypt", "COpenSSL", "DoormanCore"]),
        .target(name: "DoormanPostgres", dependencies: [
            "CPostgres", "DoormanCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "DoormanRedis", dependencies: [
            "CHiredis", "DoormanCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "DoormanAuth", dependencies: [
            "DoormanCore", "DoormanPasswords", "DoormanPostgres", "DoormanRedis",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "DoormanStack", dependencies: [
            "DoormanCore", "DoormanPostgres", "DoormanRedis",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "DoormanRuntime", dependencies: [
            "DoormanAuth", "DoormanCore", "DoormanPostgres", "DoormanRedis", "DoormanStack",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "DoormanHTTP", dependencies: [
            "DoormanAuth", "DoormanCore", "DoormanPostgres",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The terminal UI knows its backends only through UIBackend; it
        // needs DoormanCore's value types, ncurses, and NIO for the remote
        // mode's HTTP client. Nothing of the stores, the login or the server.
        .target(name: "DoormanUI", dependencies: [
            "CNcursesw", "DoormanCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // The UI's in-process backend: logins through AuthService, products
        // from the catalog, the health strip from the /healthz probes.
        .target(name: "DoormanLocalBackend", dependencies: [
            "DoormanAuth", "DoormanCore", "DoormanHTTP", "DoormanPostgres", "DoormanUI",
        ]),
        .executableTarget(name: "doorman", dependencies: [
            "DoormanAuth", "DoormanHTTP", "DoormanLocalBackend", "DoormanUI", "DoormanCore", "DoormanPasswords", "DoormanPostgres", "DoormanRuntime", "DoormanStack",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // Tests. Unit tests need no server; integration tests run against real
        // PostgreSQL and Redis started through DoormanStack.
        .testTarget(name: "DoormanCoreTests", dependencies: [
            "DoormanCore", "DoormanPasswords", "DoormanPostgres", "DoormanRedis", "DoormanRuntime",
        ]),
        .testTarget(name: "DoormanAuthTests", dependencies: ["DoormanAuth", "DoormanCore", "DoormanPostgres"]),
        .testTarget(name: "DoormanHTTPTests", dependencies: ["DoormanAuth", "DoormanCore", "DoormanHTTP", "DoormanPostgres",
                                                           .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "DoormanUITests", dependencies: ["DoormanCore", "DoormanUI"], exclude: ["Snapshots"]),
        .testTarget(name: "DoormanLocalBackendTests", dependencies: ["DoormanCore", "DoormanHTTP", "DoormanLocalBackend", "DoormanUI"]),
        .testTarget(name: "IntegrationTests", dependencies: [
            "DoormanAuth", "DoormanHTTP", "DoormanCore", "DoormanPasswords", "DoormanPostgres", "DoormanRedis", "DoormanRuntime", "DoormanStack", "DoormanUI",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    ]
)
