import DoormanAuth
import DoormanCore
import DoormanHTTP
import DoormanPasswords
import Foundation
import Testing

/// The admin API (`--admin-users`) over TCP, on the real stores: off is 404
/// and unadvertised, a user who is not an admin gets 403, an admin sees the
/// cache and the throttle (never a hash, never an unknown name) and can flush
/// and unlock.
@Suite("Admin API")
struct AdminAPITests {
    static let john = BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD")

    static func delete(_ client: RawHTTPClient, _ path: String, authorization: String) async throws -> RawHTTPClient.Response {
        try await client.exchange("DELETE \(path) HTTP/1.1\r\nHost: localhost\r\nAuthorization: \(authorization)\r\n\r\n")
    }

    @Test("off by default: 404, and not in /openapi.json")
    func off() async throws {
        let service = try TestServers.service()
        let server = try await service.httpServer().start()
        let client = try await RawHTTPClient.open(port: server.port)
        let cache = try await client.fetch("/admin/cache", authorization: Self.john)
        let throttle = try await client.fetch("/admin/throttle", authorization: Self.john)
        let document = try await client.fetch("/openapi.json")
        await server.stop()
        #expect(cache.status == 404)
        #expect(throttle.status == 404)
        #expect(document.status == 200)
        #expect(!document.text.contains("/admin/"))
    }

    @Test("on: 403 for others; an admin sees valid and stale entries, named and unnamed counters, and flushes and unlocks")
    func on() async throws {
        let password = "admin-\(UUID().uuidString.prefix(6))"
        let admin = try await TestServers.makeUser(password: password, prefix: "admin")
        let other = try await TestServers.makeUser(password: "other-pass", prefix: "other")
        let service = try TestServers.service()
        var configuration = HTTPServerConfiguration(port: 0)
        configuration.adminUsers = [admin]
        let server = try await service.httpServer(configuration).start()
        let adminAuthorization = BasicAuthorization.header(username: admin, password: password)
        do {
            let client = try await RawHTTPClient.open(port: server.port)
            #expect(try await client.fetch("/openapi.json").text.contains("\"/admin/cache/{user}\""))
            // A user who logs in but is not an admin.
            let refused = try await client.fetch("/admin/cache", authorization: Self.john)
            #expect(refused.status == 403)
            #expect(refused.text.contains("Not an admin"))
            // No credentials: the same 401 as everywhere.
            #expect(try await client.fetch("/admin/cache").status == 401)

            // Cached entries: john_doe's and the other user's; then the other's password changes (stale).
            #expect(try await client.fetch("/products?limit=1", authorization: Self.john).status == 200)
            #expect(try await client.fetch("/products?limit=1", authorization: BasicAuthorization.header(username: other, password: "other-pass")).status == 200)
            try await service.postgres.setPasswordHash(try BCrypt.hash("new-pass", cost: 4), for: other)
            // Failures: one for john_doe, one for a name nobody has.
            let unknown = "nobody_\(UUID().uuidString.prefix(6).lowercased())"
            #expect(try await client.fetch("/products", authorization: BasicAuthorization.header(username: "john_doe", password: "wrong")).status == 401)
            #expect(try await client.fetch("/products", authorization: BasicAuthorization.header(username: unknown, password: "wrong")).status == 401)

            let cache = try await client.fetch("/admin/cache", authorization: adminAuthorization)
            #expect(cache.status == 200)
            #expect(cache.header("Cache-Control") == "no-store")
            #expect(!cache.text.contains("$2"), "a hash in the answer: \(cache.text)")
            let entries = try #require(cache.json?["entries"] as? [[String: Any]])
            let john = try #require(entries.first { $0["username"] as? String == "john_doe" })
            #expect(john["state"] as? String == "valid")
            #expect((john["time_to_live_milliseconds"] as? Int).map { $0 > 250_000 && $0 <= 300_000 } == true)
            let stale = try #require(entries.first { $0["username"] as? String == other })
            #expect(stale["state"] as? String == "stale")
            #expect((stale["current_version"] as? Int ?? 0) > (stale["version"] as? Int ?? 0))

            let throttle = try await client.fetch("/admin/throttle", authorization: adminAuthorization)
            #expect(throttle.status == 200)
            #expect(!throttle.text.contains(unknown), "a typed unknown name in the answer")
            let counters = try #require(throttle.json?["counters"] as? [[String: Any]])
            #expect(counters.contains { $0["kind"] as? String == "account" && $0["username"] as? String == "john_doe" && $0["count"] as? Int == 1 })
            #expect(counters.contains { $0["kind"] as? String == "account" && $0["username"] == nil && ($0["subject"] as? String)?.count == 8 })
            #expect(counters.allSatisfy { ($0["time_to_live_milliseconds"] as? Int ?? 0) > 0 })

            let users = try await client.fetch("/admin/users", authorization: adminAuthorization)
            #expect(users.status == 200)
            #expect(!users.text.contains("$2"))
            let johnSummary = (users.json?["users"] as? [[String: Any]])?.first { $0["username"] as? String == "john_doe" }
            #expect(johnSummary?["cached"] as? Bool == true)
            #expect(johnSummary?["account_failures"] as? Int == 1)

            // Flush john_doe's entry; unlock john_doe; a name nobody has removes nothing.
            let flushed = try await Self.delete(client, "/admin/cache/john_doe", authorization: adminAuthorization)
            #expect(flushed.status == 200)
            #expect(flushed.json?["removed"] as? Int == 1)
            let after = try await client.fetch("/admin/cache", authorization: adminAuthorization)
            #expect(!((after.json?["entries"] as? [[String: Any]]) ?? []).contains { $0["username"] as? String == "john_doe" })
            let unlocked = try await Self.delete(client, "/admin/throttle/john_doe", authorization: adminAuthorization)
            #expect(unlocked.status == 200)
            #expect((unlocked.json?["removed"] as? Int ?? 0) >= 1)
            let nothing = try await Self.delete(client, "/admin/cache/\(unknown)", authorization: adminAuthorization)
            #expect(nothing.json?["removed"] as? Int == 0)
            let notAdmin = try await Self.delete(client, "/admin/throttle/john_doe", authorization: Self.john)
            #expect(notAdmin.status == 403)
            #expect(try await Self.delete(client, "/admin/cache/" + String(repeating: "x", count: 60), authorization: adminAuthorization).status == 400)
            // A name no user can have (a control character) removes nothing; another method is 405.
            #expect(try await Self.delete(client, "/admin/throttle/a%10b", authorization: adminAuthorization).json?["removed"] as? Int == 0)
            let trace = try await client.exchange("TRACE /admin/cache/john_doe HTTP/1.1\r\nHost: localhost\r\nAuthorization: \(adminAuthorization)\r\n\r\n")
            #expect(trace.status == 405)
            #expect(trace.header("Allow") == "DELETE")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
