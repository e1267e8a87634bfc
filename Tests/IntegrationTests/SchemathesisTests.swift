import DoormanCore
import DoormanHTTP
import DoormanStack
import Foundation
import Testing

/// The API checked against its own OpenAPI description by a tool nobody here
/// wrote: schemathesis, with all its checks, on a live server.
@Suite("schemathesis")
struct SchemathesisTests {
    /// Installed by `scripts/install-deps.sh --test` (which `make test` runs).
    static let st = TestServers.packageRoot.path + "/.build/tools/schemathesis/bin/st"

    @Test("every answer matches openapi.json: statuses, headers, bodies; no 500, ever")
    func conformance() async throws {
        try await Self.run(HTTPServerConfiguration(port: 0))
    }

    @Test("the same with the admin API on (john_doe an admin): its paths are in openapi.json and answer as it says")
    func conformanceWithAdminAPI() async throws {
        var configuration = HTTPServerConfiguration(port: 0)
        configuration.adminUsers = ["john_doe"]
        try await Self.run(configuration)
    }

    static func run(_ configuration: HTTPServerConfiguration) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.st), "schemathesis is missing: run scripts/install-deps.sh --test (make test does)")
        let service = try TestServers.service()
        let server = try await service.httpServer(configuration).start()
        let base = "http://127.0.0.1:\(server.port)"
        let authorization = BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD")
        let arguments = [Self.st, "run", base + "/openapi.json", "--url", base, "-H", "Authorization: \(authorization)",
                         "--checks", "all", "--max-examples", "25", "--seed", "20261203", "--no-color"]
        let result = try await offThePool {
            try Subprocess.run(arguments, environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                                                        "HOME": NSTemporaryDirectory(), "SCHEMATHESIS_HOOKS": ""], mergeOutput: true)
        }
        await server.stop()
        #expect(result.status == 0, "schemathesis found problems:\n\(result.standardOutput.suffix(6_000))")
        #expect(result.standardOutput.contains("No issues found"))
    }
}
