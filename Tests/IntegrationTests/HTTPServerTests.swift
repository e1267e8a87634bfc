import DoormanAuth
import DoormanCore
import DoormanHTTP
import DoormanPasswords
import DoormanStack
import Foundation
import Testing

/// Real requests over TCP to a running Doorman HTTP server on real PostgreSQL and Redis.
@Suite("HTTP server")
struct HTTPServerTests {
    /// Runs `body` against a server on a free port with its own Redis key
    /// prefix, and stops the server afterwards.
    static func withServer(
        idleTimeout: Duration = .seconds(30), on stack: EmbeddedStack = TestServers.shared, throttle: ThrottlePolicy = ThrottlePolicy(),
        _ body: (RunningHTTPServer, TestService) async throws -> Void
    ) async throws {
        let service = try TestServers.service(on: stack, throttle: throttle)
        let server = try await service.httpServer(HTTPServerConfiguration(port: 0, idleTimeout: idleTimeout, retryAfterSeconds: 7)).start()
        do {
            try await body(server, service)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    static let john = BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD")

    @Test("the seed's JSON, first from PostgreSQL then from Redis")
    func seedJSON() async throws {
        try await Self.withServer { server, service in
            let client = try await RawHTTPClient.open(port: server.port)

            let first = try await client.fetch("/", authorization: Self.john)
            #expect(first.status == 200)
            #expect(first.header("Content-Type") == "application/json")
            #expect(first.header("X-Authenticated-By") == "postgres")
            let json = try #require(first.json)
            #expect(json["authenticated_by"] as? String == "PostgreSQL Server")
            let data = try #require(json["data"] as? [[String: String]])
            #expect(data.first == ["product_id": "1", "product_name": "1L FOUNTAIN DRINKING WATER", "retail_price": "2.55"])
            #expect(data.count == (try await service.postgres.products()).count)
            #expect(data.map { Int($0["product_id"]!)! } == data.map { Int($0["product_id"]!)! }.sorted())
            #expect(first.text.hasPrefix("{\n    \"authenticated_by\": \"PostgreSQL Server\",\n    \"data\": [\n        {\n            \"product_id\": \"1\",\n"))
            #expect(first.text.hasSuffix("\n    ]\n}\r\n"))

            let second = try await client.fetch("/products", authorization: Self.john)
            #expect(second.status == 200)
            #expect(second.header("X-Authenticated-By") == "redis")
            #expect(second.json?["authenticated_by"] as? String == "Redis Server")
            #expect(second.json?["data"] as? [[String: String]] == data)
        }
    }

    @Test("every kind of failure is the same 401", arguments: [
        ("wrong password", Optional(BasicAuthorization.header(username: "john_doe", password: "wrong"))),
        ("unknown user", BasicAuthorization.header(username: "nobody_at_all", password: "EXAMPLE_PASSWORD")),
        ("no header", nil),
        ("not Basic", "Bearer abc.def.ghi"),
        ("bad base64", "Basic !!!notbase64!!!"),
        ("no colon", "Basic " + Base64.encode(Array("john_doeEXAMPLE_PASSWORD".utf8))),
        ("empty user", "Basic " + Base64.encode(Array(":EXAMPLE_PASSWORD".utf8))),
        ("empty password", "Basic " + Base64.encode(Array("john_doe:".utf8))),
        ("empty credentials", "Basic "),
        ("just the scheme", "Basic"),
        ("NUL in the password", "Basic " + Base64.encode(Array("john_doe:EXAMPLE\u{0}PASSWORD".utf8))),
        ("invalid UTF-8", "Basic " + Base64.encode([0x6A, 0x3A, 0xFF, 0xFE])),
        ("password over 72 bytes", BasicAuthorization.header(username: "john_doe", password: String(repeating: "x", count: 73))),
    ])
    func unauthorized(_ name: String, authorization: String?) async throws {
        try await Self.withServer { server, _ in
            let client = try await RawHTTPClient.open(port: server.port)
            let response = try await client.fetch("/", authorization: authorization)
            #expect(response.status == 401, "\(name)")
            #expect(response.header("WWW-Authenticate") == #"Basic realm="doorman", charset="UTF-8""#)
            #expect(response.text == "{\n    \"error\": \"Authentication failed.\"\n}\r\n")
            #expect(response.header("X-Authenticated-By") == nil)
            // The connection stays usable: never dropped on bad input.
            #expect(try await client.fetch("/", authorization: Self.john).status == 200)
        }
    }

    @Test("the scheme name is case-insensitive, and a password may contain ':'")
    func schemeAndColon() async throws {
        try await Self.withServer { server, _ in
            let user = try await TestServers.makeUser(password: "pa:ss:word")
            let client = try await RawHTTPClient.open(port: server.port)
            let encoded = Base64.encode(Array("\(user):pa:ss:word".utf8))
            for scheme in ["Basic", "basic", "BASIC", "bAsIc"] {
                #expect(try await client.fetch("/", authorization: "\(scheme) \(encoded)").status == 200, "\(scheme)")
            }
            #expect(try await client.fetch("/", authorization: BasicAuthorization.header(username: user, password: "pa")).status == 401)
        }
    }

    @Test("200 concurrent requests are all answered correctly")
    func concurrent() async throws {
        // Throttling off: a quarter of these are wrong passwords from one address.
        try await Self.withServer(throttle: .disabled) { server, _ in
            let port = server.port
            let results = Results()
            let group = DispatchGroup()
            for index in 0..<200 {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    let good = index % 4 != 0
                    let header = good ? Self.john : BasicAuthorization.header(username: "john_doe", password: "wrong \(index)")
                    do {
                        let response = try RawHTTPClient(port: port, timeout: 60).get("/products?limit=3", authorization: header)
                        let ok = good
                            ? response.status == 200 && (response.json?["data"] as? [Any])?.count == 3
                            : response.status == 401
                        results.add(ok)
                    } catch {
                        results.add(false)
                    }
                }
            }
            await withCheckedContinuation { continuation in
                group.notify(queue: .global()) { continuation.resume() }
            }
            let (good, bad) = results.counts
            #expect(good == 200 && bad == 0)
        }
    }

    @Test("paging by key with limit and after; bad values are 400")
    func paging() async throws {
        try await Self.withServer { server, service in
            let all = try await service.postgres.products()
            let client = try await RawHTTPClient.open(port: server.port)
            let page = try await client.fetch("/products?limit=5&after=10", authorization: Self.john)
            #expect(page.status == 200)
            let ids = (page.json?["data"] as? [[String: String]])?.map { $0["product_id"]! }
            #expect(ids == all.filter { $0.id > 10 }.prefix(5).map { String($0.id) })
            #expect(page.header("Link") == "</products?limit=5&after=\(all.filter { $0.id > 10 }[4].id)>; rel=\"next\"")
            for bad in ["limit=0", "limit=-1", "limit=abc", "limit=1000000", "after=x", "after=-5"] {
                let response = try await client.fetch("/products?\(bad)", authorization: Self.john)
                #expect(response.status == 400, "\(bad)")
                #expect(response.json?["error"] != nil)
            }
            let last = try await client.fetch("/products?limit=5&after=\(all.last!.id)", authorization: Self.john)
            #expect(last.text.contains("\"data\": []"))
            #expect(last.header("Link") == nil)
        }
    }

    @Test("/healthz and /metrics need no credentials and tell the truth")
    func healthAndMetrics() async throws {
        try await Self.withServer { server, _ in
            let client = try await RawHTTPClient.open(port: server.port)
            _ = try await client.fetch("/", authorization: Self.john)
            _ = try await client.fetch("/", authorization: Self.john)
            _ = try await client.fetch("/", authorization: "Basic Zm9vOmJhcg==")
            _ = try await client.fetch("/nowhere")

            // After those logins the stores' connections are open: a probe is one round trip.
            let health = try await client.fetch("/healthz")
            #expect(health.status == 200)
            #expect(health.json?["status"] as? String == "ok", "\(health.text)")
            #expect(health.json?["postgres"] as? String == "up")
            #expect(health.json?["redis"] as? String == "up")
            #expect((health.json?["postgres_rtt_ms"] as? Double).map { $0 >= 0 && $0 < 250 } == true, "\(health.text)")
            #expect(!health.text.contains("postgresql://") && !health.text.contains("unix://"))

            let metrics = try await client.fetch("/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = metrics.text
            #expect(text.contains(#"doorman_logins_total{source="postgres",outcome="success"} 1"#))
            #expect(text.contains(#"doorman_logins_total{source="redis",outcome="success"} 1"#))
            #expect(text.contains(#"doorman_logins_total{source="none",outcome="rejected"} 1"#))
            #expect(text.contains(#"doorman_bcrypt_seconds_count{source="redis"} 1"#))
            #expect(text.contains(#"doorman_lookup_seconds_bucket{source="postgres",le="+Inf"} 1"#))
            #expect(text.contains(#"doorman_http_requests_total{status="200"} 3"#))
            #expect(text.contains(#"doorman_http_requests_total{status="401"} 1"#))
            #expect(text.contains(#"doorman_http_requests_total{status="404"} 1"#))
        }
    }

    @Test("PostgreSQL down: a cache miss is 503 with Retry-After, never 401; /healthz is 503")
    func postgresDown() async throws {
        let stack = await TestServers.start(name: "http-pg-down")
        defer { TestServers.stop(stack) }
        try await Self.withServer(on: stack) { server, _ in
            let client = try await RawHTTPClient.open(port: server.port)
            #expect(try await client.fetch("/", authorization: Self.john).status == 200)
            try await stack.stopPostgres()

            let mary = BasicAuthorization.header(username: "mary_smith", password: "EXAMPLE_PASSWORD_2")
            let miss = try await client.fetch("/", authorization: mary)
            #expect(miss.status == 503)
            #expect(miss.header("Retry-After") == "7")
            #expect(miss.json?["error"] as? String == "Service unavailable.")
            let unknown = try await client.fetch("/", authorization: BasicAuthorization.header(username: "whoever", password: "x"))
            #expect(unknown.status == 503)
            let health = try await client.fetch("/healthz")
            #expect(health.status == 503)
            #expect(health.json?["postgres"] as? String == "down")
            try await stack.startPostgres()
            #expect(try await client.fetch("/", authorization: mary).status == 200)
        }
    }

    @Test("malformed and oversized requests get a 4xx, never a 500 or a silent close")
    func malformedRequests() async throws {
        try await Self.withServer { server, _ in
            let garbage = try await RawHTTPClient.open(port: server.port)
            #expect(try await garbage.exchange("NOT HTTP AT ALL\r\n\r\n").status == 400)

            let huge = try await RawHTTPClient.open(port: server.port)
            #expect(try await huge.exchange("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 40_000))\r\n\r\n").status == 400)

            let longAuth = try await RawHTTPClient.open(port: server.port)
            #expect(try await longAuth.fetch("/", authorization: "Basic " + String(repeating: "QUFB", count: 2_000)).status == 401)
        }
    }

    @Test("an idle connection is closed after the idle timeout")
    func idleTimeout() async throws {
        try await Self.withServer(idleTimeout: .seconds(1)) { server, _ in
            let client = try await RawHTTPClient.open(port: server.port, timeout: 10)
            let start = ContinuousClock.now
            #expect(try await offThePool { client.isClosedByServer() })
            #expect(ContinuousClock.now - start < .seconds(8))
        }
    }
}

final class Results: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var good = 0
    private var bad = 0
    func add(_ ok: Bool) { lock.lock(); if ok { good += 1 } else { bad += 1 }; lock.unlock() }
    var counts: (Int, Int) { lock.lock(); defer { lock.unlock() }; return (good, bad) }
}
