import DoormanCore
import DoormanRedis
import Testing

@Suite("Redis URLs")
struct RedisEndpointTests {
    @Test("full URL with ACL user, password and database")
    func full() throws {
        let endpoint = try RedisEndpoint(url: "redis://doorman:p%40ss@cache.example.com:6380/2")
        #expect(endpoint.transport == .tcp(host: "cache.example.com", port: 6380))
        #expect(endpoint.username == "doorman")
        #expect(endpoint.password == "p@ss")
        #expect(endpoint.database == 2)
        #expect(!endpoint.usesTLS)
        #expect(endpoint.redactedURL == "redis://doorman:***@cache.example.com:6380/2")
    }

    @Test("defaults: port 6379, database 0, no user")
    func defaults() throws {
        let endpoint = try RedisEndpoint(url: "redis://localhost")
        #expect(endpoint.transport == .tcp(host: "localhost", port: 6379))
        #expect(endpoint.username == nil && endpoint.password == nil && endpoint.database == 0)
    }

    @Test("password only, as requirepass servers use")
    func passwordOnly() throws {
        let endpoint = try RedisEndpoint(url: "redis://:secret@10.0.0.5:6379")
        #expect(endpoint.username == nil)
        #expect(endpoint.password == "secret")
        #expect(endpoint.redactedURL == "redis://:***@10.0.0.5:6379/0")
    }

    @Test("rediss:// means TLS; IPv6 hosts in brackets")
    func tlsAndIPv6() throws {
        #expect(try RedisEndpoint(url: "rediss://h:6379").usesTLS)
        #expect(try RedisEndpoint(url: "redis://[::1]:7000").transport == .tcp(host: "::1", port: 7000))
    }

    @Test("unix sockets, with an optional database")
    func unix() throws {
        let endpoint = try RedisEndpoint(url: "unix:///run/redis/redis.sock?db=3")
        #expect(endpoint.transport == .unix(path: "/run/redis/redis.sock"))
        #expect(endpoint.database == 3)
        #expect(endpoint.redactedURL == "unix:///run/redis/redis.sock?db=3")
    }

    @Test("malformed URLs are refused without repeating the password", arguments: [
        "http://u:topsecret@host", "redis://u:topsecret@", "redis://u:topsecret@host:0", "redis://u:topsecret@host:70000",
        "redis://u:topsecret@host/x", "redis://u:topsecret@host/-1", "unix://u:topsecret@relative", "not a url", "",
    ])
    func malformed(url: String) {
        do {
            _ = try RedisEndpoint(url: url)
            Issue.record("accepted \(url)")
        } catch let error as DoormanError {
            #expect(error.kind == .configuration)
            #expect(error.message.hasPrefix("invalid Redis URL: "))
            #expect(!error.message.contains("topsecret"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
