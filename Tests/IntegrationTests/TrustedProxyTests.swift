import DoormanAuth
import DoormanCore
import DoormanHTTP
import Foundation
import Testing

/// Throttling counts the client a trusted load balancer names, and nobody
/// else's `X-Forwarded-For`.
@Suite("Trusted proxies")
struct TrustedProxyTests {
    static func guess(_ server: RunningHTTPServer, user: String, password: String, forwardedFor: String) async throws -> Int {
        let client = try await RawHTTPClient.open(port: server.port)
        return try await client.fetch("/products?limit=1", authorization: BasicAuthorization.header(username: user, password: password),
                                      headers: [("X-Forwarded-For", forwardedFor)]).status
    }

    @Test("behind a trusted proxy, each forwarded client has its own budget; otherwise the header is ignored")
    func forwardedClients() async throws {
        for trusted in [true, false] {
            let service = try TestServers.service(throttle: ThrottlePolicy(pairLimit: 3))
            let user = try await TestServers.makeUser(password: "right")
            let configuration = HTTPServerConfiguration(port: 0, trustedProxies: trusted ? [CIDR("127.0.0.0/8")!] : [])
            let server = try await service.httpServer(configuration).start()
            for _ in 0..<3 {
                #expect(try await Self.guess(server, user: user, password: "wrong", forwardedFor: "203.0.113.5") == 401)
            }
            #expect(try await Self.guess(server, user: user, password: "right", forwardedFor: "203.0.113.5") == 429)
            // Another forwarded client: a budget of its own only when the proxy is trusted.
            let other = try await Self.guess(server, user: user, password: "right", forwardedFor: "203.0.113.6")
            #expect(other == (trusted ? 200 : 429), "trusted: \(trusted)")
            await server.stop()
        }
    }

    @Test("an IPv4 client is one client on an IPv4 and on a dual-stack (::) listener")
    func mappedAddresses() async throws {
        let service = try TestServers.service(throttle: ThrottlePolicy(pairLimit: 3))
        let user = try await TestServers.makeUser(password: "right")
        let dualStack = try await service.httpServer(HTTPServerConfiguration(host: "::", port: 0)).start()
        let ipv4 = try await service.httpServer(HTTPServerConfiguration(host: "127.0.0.1", port: 0)).start()
        for _ in 0..<3 {
            // Through the :: listener the peer is ::ffff:127.0.0.1.
            #expect(try await Self.guess(dualStack, user: user, password: "wrong", forwardedFor: "") == 401)
        }
        #expect(try await Self.guess(ipv4, user: user, password: "right", forwardedFor: "") == 429, "the same client on both listeners")
        await dualStack.stop()
        await ipv4.stop()
    }
}
