import DoormanCore
import DoormanRedis
import DoormanRuntime
import Testing

@Suite("Redis URLs through Sentinel")
struct RedisSentinelURLTests {
    typealias Address = RedisEndpoint.Address

    @Test("several sentinels, a master name, a database, a user and a password")
    func full() throws {
        let endpoint = try RedisEndpoint(url: "redis+sentinel://doorman:p%40ss@10.0.0.1:26379,sentinel-2.example.com:26380,[::1]:26381/mymaster/2")
        #expect(endpoint.transport == .sentinel(sentinels: [Address(host: "10.0.0.1", port: 26379), Address(host: "sentinel-2.example.com", port: 26380),
                                                            Address(host: "::1", port: 26381)], masterName: "mymaster"))
        #expect(endpoint.username == "doorman" && endpoint.password == "p@ss" && endpoint.database == 2 && !endpoint.usesTLS)
        #expect(endpoint.redactedURL == "redis+sentinel://doorman:***@10.0.0.1:26379,sentinel-2.example.com:26380,[::1]:26381/mymaster/2")
        #expect(!"\(endpoint)".contains("p@ss") && !String(reflecting: endpoint).contains("p@ss"))
    }

    @Test("defaults: port 26379, database 0, no login; a trailing slash is fine")
    func defaults() throws {
        for url in ["redis+sentinel://s1,s2/cache", "redis+sentinel://s1,s2/cache/", "REDIS+SENTINEL://s1,s2/cache"] {
            let endpoint = try RedisEndpoint(url: url)
            #expect(endpoint.transport == .sentinel(sentinels: [Address(host: "s1", port: 26379), Address(host: "s2", port: 26379)], masterName: "cache"), "\(url)")
            #expect(endpoint.username == nil && endpoint.password == nil && endpoint.database == 0)
        }
    }

    @Test("rediss+sentinel:// is TLS to the sentinels and the master; ?db= works too; a password alone")
    func tls() throws {
        let endpoint = try RedisEndpoint(url: "rediss+sentinel://:secret@s1:5000/mymaster?db=3")
        #expect(endpoint.usesTLS && endpoint.database == 3 && endpoint.username == nil && endpoint.password == "secret")
        #expect(endpoint.redactedURL == "rediss+sentinel://:***@s1:5000/mymaster/3")
    }

    @Test("the master found keeps the URL's TLS, login and database")
    func master() throws {
        let endpoint = try RedisEndpoint(url: "rediss+sentinel://u:pw@s1:5000/mymaster/4")
        let master = endpoint.at(Address(host: "127.0.0.1", port: 6380))
        #expect(master.transport == .tcp(host: "127.0.0.1", port: 6380))
        #expect(master.usesTLS && master.username == "u" && master.password == "pw" && master.database == 4)
        #expect(Address(host: "::1", port: 1).description == "[::1]:1")
    }

    @Test("bad input is refused with a reason and without the password", arguments: [
        ("redis+sentinel://u:topsecret@/mymaster", "host is missing"),
        ("redis+sentinel://u:topsecret@s1,,s2/mymaster", "host is missing"),
        ("redis+sentinel://u:topsecret@s1:26379", "master name is missing"),
        ("redis+sentinel://u:topsecret@s1:26379/", "master name is missing"),
        ("redis+sentinel://u:topsecret@s1:0/mymaster", "port must be between 1 and 65535"),
        ("redis+sentinel://u:topsecret@s1:70000/mymaster", "port must be between 1 and 65535"),
        ("redis+sentinel://u:topsecret@s1:abc/mymaster", "port must be between 1 and 65535"),
        ("redis+sentinel://u:topsecret@s1/mymaster/x", "database must be a number"),
        ("redis+sentinel://u:topsecret@s1/mymaster/-1", "database must be a number"),
        ("redis+sentinel://u:topsecret@s1/mymaster/0/extra", "only a database number may follow"),
        ("redis+sentinel://u:topsecret@s1/mymaster?db=x", "db=N"),
        ("redis+sentinel://u:topsecret@[::1/mymaster", "closing ]"),
    ])
    func malformed(url: String, reason: String) {
        do {
            _ = try RedisEndpoint(url: url)
            Issue.record("accepted \(url)")
        } catch let error as DoormanError {
            #expect(error.kind == .configuration)
            #expect(error.message.hasPrefix("invalid Redis URL: "))
            #expect(error.message.contains(reason), "\(error.message)")
            #expect(!error.message.contains("topsecret"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("REDIS_URL and --redis-url take the Sentinel form; a bad one stops start-up with the reason")
    func settings() throws {
        let url = "redis+sentinel://:pw@127.0.0.1:26379,127.0.0.1:26380/mymaster/1"
        #expect(try Settings.resolve(environment: ["REDIS_URL": url]).cache == .url(try RedisEndpoint(url: url)))
        #expect(try Settings.resolve(redisURL: url, environment: [:]).cache == .url(try RedisEndpoint(url: url)))
        #expect(throws: DoormanError.self) { try Settings.resolve(environment: ["REDIS_URL": "redis+sentinel://127.0.0.1:26379"]) }
    }
}
