import DoormanCore
import DoormanHTTP
import Foundation
import Testing

/// What RFC 9110 and RFC 9112 ask of the server beyond the happy path, tried
/// with exact bytes on a real socket.
@Suite("HTTP conformance")
struct HTTPConformanceTests {
    static let john = BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD")

    static func withServer(_ configuration: HTTPServerConfiguration = HTTPServerConfiguration(port: 0),
                           _ body: (RunningHTTPServer, TestService) async throws -> Void) async throws {
        let service = try TestServers.service()
        let server = try await service.httpServer(configuration).start()
        do {
            try await body(server, service)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("HEAD is GET without a body: same status, same headers, Content-Length included", arguments: ["/", "/products?limit=2", "/healthz"])
    func head(path: String) async throws {
        try await Self.withServer { server, _ in
            let client = try await RawHTTPClient.open(port: server.port, timeout: 10)
            _ = try await client.fetch(path, authorization: Self.john)  // from PostgreSQL: the next ones from Redis
            let get = try await client.fetch(path, authorization: Self.john)
            let head = try await client.exchange("HEAD \(path) HTTP/1.1\r\nHost: localhost\r\nAuthorization: \(Self.john)\r\n\r\n", toHead: true)
            #expect(head.status == get.status)
            #expect(head.body.isEmpty)
            #expect(head.header("Content-Length") == get.header("Content-Length"))
            #expect(head.header("Content-Type") == get.header("Content-Type"))
            #expect(!(await client.anythingWithin(seconds: 1)), "no body bytes follow")
            #expect(try await client.fetch("/products").status == 401, "the connection is still usable")
        }
    }

    @Test("other methods on a known path: 405 with Allow; unknown paths stay 404", arguments: ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
    func methodNotAllowed(method: String) async throws {
        try await Self.withServer { server, _ in
            let client = try await RawHTTPClient.open(port: server.port, timeout: 10)
            for path in ["/", "/products", "/healthz", "/metrics"] {
                let response = try await client.exchange("\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
                #expect(response.status == 405, "\(method) \(path)")
                #expect(response.header("Allow") == "GET, HEAD")
            }
            #expect(try await client.exchange("\(method) /nowhere HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n").status == 404)
        }
    }

    @Test("HTTP/1.1 without a Host header, or with two: 400, and the connection closes",
          arguments: ["GET /products HTTP/1.1\r\n\r\n", "GET /products HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"])
    func host(request: String) async throws {
        try await Self.withServer { server, _ in
            let client = try await RawHTTPClient.open(port: server.port, timeout: 10)
            let response = try await client.exchange(request)
            #expect(response.status == 400)
            #expect(response.text.contains("Host"))
            #expect(await client.closedByServer())
        }
    }

    @Test("a client cannot smuggle in the internal marker of a bad Host")
    func markerStripped() async throws {
        try await Self.withServer { server, _ in
            let client = try await RawHTTPClient.open(port: server.port, timeout: 10)
            let response = try await client.exchange("GET /products HTTP/1.1\r\nHost: localhost\r\nDoorman-Bad-Host: missing\r\n\r\n")
            #expect(response.status == 401, "treated as the well-formed request it is")
        }
    }

    @Test("HTTP/1.0 is closed after the answer unless it asked for keep-alive (and then is told keep-alive)")
    func http10() async throws {
        try await Self.withServer { server, _ in
            let plain = try await RawHTTPClient.open(port: server.port, timeout: 10)
            let first = try await plain.exchange("GET /products HTTP/1.0\r\n\r\n")
            #expect(first.status == 401)
            #expect(first.header("Connection")?.lowercased() == "close")
            #expect(await plain.closedByServer())

            let keepAlive = try await RawHTTPClient.open(port: server.port, timeout: 10)
            let answer = try await keepAlive.exchange("GET /products HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(answer.status == 401)
            #expect(answer.header("Connection")?.lowercased() == "keep-alive")
            #expect(try await keepAlive.exchange("GET /products HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").status == 401)
        }
    }

    @Test("answers that authenticated or refused credentials carry Cache-Control: no-store")
    func noStore() async throws {
        try await Self.withServer { server, _ in
            let client = try await RawHTTPClient.open(port: server.port, timeout: 5)
            for authorization in [Self.john, BasicAuthorization.header(username: "john_doe", password: "wrong"), nil] {
                let response = try await client.fetch("/products?limit=1", authorization: authorization)
                #expect(response.header("Cache-Control") == "no-store", "\(response.status)")
            }
        }
    }

    @Test("/metrics: open on loopback; behind a bearer token when one is set")
    func metricsToken() async throws {
        try await Self.withServer { server, _ in
            let client = try await RawHTTPClient.open(port: server.port)
            #expect(try await client.fetch("/metrics").status == 200)
        }
        try await Self.withServer(HTTPServerConfiguration(port: 0, metricsToken: "s3cret-token")) { server, _ in
            let client = try await RawHTTPClient.open(port: server.port)
            let refused = try await client.fetch("/metrics")
            #expect(refused.status == 401)
            #expect(refused.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            #expect(try await client.fetch("/metrics", authorization: "Bearer wrong-token").status == 401)
            let allowed = try await client.fetch("/metrics", authorization: "Bearer s3cret-token")
            #expect(allowed.status == 200)
            #expect(allowed.text.contains("doorman_logins_total"))
        }
    }

    @Test("/metrics is not served on a non-loopback listener without a token; --metrics-address gives it a listener of its own")
    func metricsHidden() async throws {
        try await Self.withServer(HTTPServerConfiguration(host: "0.0.0.0", port: 0)) { server, _ in
            let client = try await RawHTTPClient.open(port: server.port)
            #expect(try await client.fetch("/metrics").status == 404)
            #expect(try await client.fetch("/products").status == 401)
        }
        let metricsPort = try FreePort.free()
        try await Self.withServer(HTTPServerConfiguration(port: 0, metricsAddress: ("127.0.0.1", metricsPort))) { server, _ in
            let main = try await RawHTTPClient.open(port: server.port)
            #expect(try await main.fetch("/metrics").status == 404)
            var metrics: RawHTTPClient.Response?
            for _ in 0..<50 where metrics == nil {
                if let client = try? await RawHTTPClient.open(port: metricsPort) { metrics = try? await client.fetch("/metrics") }
                if metrics == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(metrics?.status == 200)
            let side = try await RawHTTPClient.open(port: metricsPort)
            #expect(try await side.fetch("/products", authorization: Self.john).status == 404)
        }
    }
}
