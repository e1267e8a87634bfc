import DoormanCore
import DoormanHTTP
import Foundation
import Testing

/// `X-Doorman-Cache: bypass`: a remote terminal UI's `o`. The server skips
/// Redis for its `--admin-users` (and says so with `X-Doorman-Cache:
/// bypassed`), still checking the password and counting failures; for
/// anyone else, or with the admin API off, the header changes nothing.
@Suite("Skipping the cache for an admin's requests")
struct CacheBypassHeaderTests {
    static let john = BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD")
    static let bypass = [("X-Doorman-Cache", "bypass")]

    @Test("an admin's request with the header reads PostgreSQL though Redis holds the hash; others' are unchanged")
    func bypass() async throws {
        let other = try await TestServers.makeUser(password: "other-pass", prefix: "other")
        let otherAuthorization = BasicAuthorization.header(username: other, password: "other-pass")
        let service = try TestServers.service()
        var configuration = HTTPServerConfiguration(port: 0)
        configuration.adminUsers = ["john_doe"]
        let server = try await service.httpServer(configuration).start()
        let plain = try await service.httpServer().start()
        let responses: [RawHTTPClient.Response]
        do {
            let client = try await RawHTTPClient.open(port: server.port)
            let plainClient = try await RawHTTPClient.open(port: plain.port)
            responses = [
                try await client.fetch("/products?limit=1", authorization: Self.john),                         // 0: fills Redis
                try await client.fetch("/products?limit=1", authorization: Self.john),                         // 1: Redis
                try await client.fetch("/products?limit=1", authorization: Self.john, headers: Self.bypass),   // 2: skipped
                try await client.fetch("/products?limit=1", authorization: Self.john),                         // 3: Redis again
                try await client.fetch("/products?limit=1", authorization: BasicAuthorization.header(username: "john_doe", password: "wrong"), headers: Self.bypass),  // 4
                try await client.fetch("/products?limit=1", authorization: otherAuthorization),                 // 5: fills Redis
                try await client.fetch("/products?limit=1", authorization: otherAuthorization, headers: Self.bypass),  // 6: not an admin
                try await plainClient.fetch("/products?limit=1", authorization: Self.john, headers: Self.bypass),      // 7: API off
            ]
        } catch {
            await server.stop()
            await plain.stop()
            throw error
        }
        await server.stop()
        await plain.stop()
        #expect(responses.map(\.status) == [200, 200, 200, 200, 401, 200, 200, 200])
        #expect(responses.map { $0.header("X-Authenticated-By")?.lowercased() } == ["postgres", "redis", "postgres", "redis", nil, "postgres", "redis", "redis"])
        #expect(responses.map { $0.header("X-Doorman-Cache") } == [nil, nil, "bypassed", nil, nil, nil, nil, nil])
        // The refused one counted as a failure, as any other.
        #expect(service.statistics.snapshot().rejected >= 1)
    }
}
