import DoormanCore
import DoormanRedis
import DoormanRuntime
import Foundation
import Testing

@Suite("Settings from flags and the environment")
struct SettingsTests {
    @Test("nothing configured: both stores embedded, state under XDG_STATE_HOME (or /var/lib as root)")
    func nothingConfigured() throws {
        let settings = try Settings.resolve(environment: ["HOME": "/home/ann", "XDG_STATE_HOME": "/home/ann/.state"])
        #expect(settings.database == .embedded)
        #expect(settings.cache == .embedded)
        #expect(settings.usesEmbeddedStack)
        #expect(settings.cacheTTL == .seconds(300))
        #expect(settings.stack.stateDirectory == (geteuid() == 0 ? "/var/lib/doorman" : "/home/ann/.state/doorman"))
    }

    @Test("flags win over the environment")
    func flagsWin() throws {
        let settings = try Settings.resolve(
            databaseURL: "postgresql://flag@db/doorman", redisURL: "redis://flag:6379", cacheTTLSeconds: 60, stateDirectory: "/srv/doorman",
            environment: ["DATABASE_URL": "postgresql://env@db/x", "REDIS_URL": "redis://env:1", "DOORMAN_CACHE_TTL": "5", "DOORMAN_STATE_DIR": "/env"])
        #expect(settings.database == .url("postgresql://flag@db/doorman"))
        #expect(settings.cache == .url(try RedisEndpoint(url: "redis://flag:6379")))
        #expect(settings.cacheTTL == .seconds(60))
        #expect(settings.stack.stateDirectory == "/srv/doorman")
        #expect(!settings.usesEmbeddedStack)
    }

    @Test("the environment is read when no flag is given")
    func environment() throws {
        let settings = try Settings.resolve(environment: [
            "DATABASE_URL": "host=db dbname=doorman", "REDIS_URL": "redis://cache:6379/1", "DOORMAN_CACHE_TTL": "42", "DOORMAN_LOG_LEVEL": "DEBUG",
        ])
        #expect(settings.database == .url("host=db dbname=doorman"))
        #expect(settings.cacheTTL == .seconds(42))
        #expect(settings.logLevel == .debug)
    }

    @Test("libpq's own variables mean the database is configured", arguments: Settings.libpqVariables)
    func libpqVariables(variable: String) throws {
        let settings = try Settings.resolve(environment: [variable: "x"])
        #expect(settings.database == .libpqEnvironment)
        #expect(settings.cache == .embedded)
    }

    @Test("store deadlines: 2 s and 250 ms by default; flags win; units are read as people write them")
    func deadlines() throws {
        let defaults = try Settings.resolve(environment: [:])
        #expect(defaults.postgresTimeout == .seconds(2))
        #expect(defaults.redisTimeout == .milliseconds(250))
        let fromEnvironment = try Settings.resolve(environment: ["DOORMAN_POSTGRES_TIMEOUT": "1.5s", "DOORMAN_REDIS_TIMEOUT": "100ms"])
        #expect(fromEnvironment.postgresTimeout == .milliseconds(1_500))
        #expect(fromEnvironment.redisTimeout == .milliseconds(100))
        let flags = try Settings.resolve(postgresTimeout: "3", redisTimeout: "0.05", environment: ["DOORMAN_REDIS_TIMEOUT": "1s"])
        #expect(flags.postgresTimeout == .seconds(3))
        #expect(flags.redisTimeout == .milliseconds(50))
        for bad in ["soon", "-1s", "5ms", "2m", "61s", ""] where !bad.isEmpty {
            #expect(throws: DoormanError.self, "\(bad)") { try Settings.resolve(redisTimeout: bad, environment: [:]) }
        }
    }

    @Test("metrics: token and listener from flags or the environment; bad values refused")
    func metrics() throws {
        var settings = try Settings.resolve(environment: [:])
        try settings.resolveMetrics(token: nil, address: nil, environment: ["DOORMAN_METRICS_TOKEN": "0123456789abcdef", "DOORMAN_METRICS_ADDRESS": "[::1]:9090"])
        #expect(settings.metricsToken == "0123456789abcdef")
        #expect(settings.metricsAddress?.host == "::1" && settings.metricsAddress?.port == 9090)
        try settings.resolveMetrics(token: nil, address: "127.0.0.1:9100", environment: [:])
        #expect(settings.metricsToken == nil && settings.metricsAddress?.port == 9100)
        for (token, address) in [("short", nil), (nil, "9090"), (nil, "host:http"), (nil, ":9090")] as [(String?, String?)] {
            #expect(throws: DoormanError.self) { try settings.resolveMetrics(token: token, address: address, environment: [:]) }
        }
    }

    @Test("bad values are configuration errors", arguments: [
        ["DOORMAN_CACHE_TTL": "soon"], ["DOORMAN_CACHE_TTL": "0"], ["DOORMAN_LOG_LEVEL": "loud"],
        ["REDIS_URL": "memcached://x"], ["DATABASE_URL": "postgresql://h/db?bogus_option=1"],
    ])
    func badValues(environment: [String: String]) {
        #expect(throws: DoormanError.self) { try Settings.resolve(environment: environment) }
    }
}

@Suite("Settings for TLS")
struct TLSSettingsTests {
    @Test("--redis-cacert wins over REDIS_CACERT; neither means the system store")
    func caCertificate() throws {
        let flag = try Settings.resolve(redisURL: "rediss://cache:6380", redisCACertificate: "/etc/hostname", environment: ["REDIS_CACERT": "/etc/passwd"])
        #expect(flag.redisCACertificateFile == "/etc/hostname")
        #expect(try Settings.resolve(environment: ["REDIS_CACERT": "/etc/passwd"]).redisCACertificateFile == "/etc/passwd")
        #expect(try Settings.resolve(environment: [:]).redisCACertificateFile == nil)
    }

    @Test("a CA file that cannot be read is a configuration error naming the file and the setting", arguments: ["/nonexistent/ca.pem", "/etc"])
    func unreadable(path: String) {
        do {
            _ = try Settings.resolve(redisURL: "rediss://cache:6380", environment: ["REDIS_CACERT": path])
            Issue.record("accepted \(path)")
        } catch let error as DoormanError {
            #expect(error.kind == .configuration)
            #expect(error.message.hasPrefix("cannot read the CA file \(path): "))
            #expect(error.message.hasSuffix(" (--redis-cacert / REDIS_CACERT)"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}

@Suite("Settings for the fast paths")
struct FastPathSettingsTests {
    @Test("--memory-cache and its environment")
    func memoryCache() throws {
        #expect(try Settings.resolve(environment: [:]).memoryCache == nil)
        let flagged = try Settings.resolve(memoryCache: true, environment: [:])
        #expect(flagged.memoryCache?.ttl == .seconds(60))
        #expect(flagged.memoryCache?.maxUsers == 10_000)
        let sized = try Settings.resolve(environment: ["DOORMAN_MEMORY_CACHE": "yes", "DOORMAN_MEMORY_CACHE_TTL": "5", "DOORMAN_MEMORY_CACHE_MAX_USERS": "42"])
        #expect(sized.memoryCache?.ttl == .seconds(5))
        #expect(sized.memoryCache?.maxUsers == 42)
        #expect(sized.authConfiguration.memoryCache == sized.memoryCache)
    }

    @Test("--no-cache and DOORMAN_NO_CACHE")
    func noCache() throws {
        #expect(try Settings.resolve(noCache: true, environment: [:]).cache == .disabled)
        #expect(try Settings.resolve(environment: ["DOORMAN_NO_CACHE": "1", "REDIS_URL": "redis://x"]).cache == .disabled)
        #expect(try Settings.resolve(environment: ["DOORMAN_NO_CACHE": "off"]).cache == .embedded)
    }

    @Test("bad values are refused", arguments: [
        ["DOORMAN_NO_CACHE": "maybe"], ["DOORMAN_MEMORY_CACHE": "2"],
        ["DOORMAN_MEMORY_CACHE": "1", "DOORMAN_MEMORY_CACHE_TTL": "0"],
        ["DOORMAN_MEMORY_CACHE": "1", "DOORMAN_MEMORY_CACHE_MAX_USERS": "many"],
    ])
    func refused(environment: [String: String]) {
        #expect(throws: DoormanError.self) { try Settings.resolve(environment: environment) }
    }
}

@Suite("Settings: trusted proxies")
struct TrustedProxySettingsTests {
    @Test("flags win over DOORMAN_TRUSTED_PROXIES; a malformed block is a clear error")
    func trustedProxies() throws {
        var settings = try Settings.resolve(environment: [:])
        try settings.resolveTrustedProxies([], environment: ["DOORMAN_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"])
        #expect(settings.trustedProxies.map(\.description) == ["10.0.0.0/8", "192.0.2.1"])
        try settings.resolveTrustedProxies(["127.0.0.1"], environment: ["DOORMAN_TRUSTED_PROXIES": "10.0.0.0/8"])
        #expect(settings.trustedProxies.map(\.description) == ["127.0.0.1"])
        #expect(throws: DoormanError.self) { try settings.resolveTrustedProxies(["10.0.0.0/99"]) }
    }
}

@Suite("Settings for PgBouncer and standbys")
struct ScaleOutDatabaseSettingsTests {
    @Test("--notify-database-url and --read-database-url: flags win over the environment; neither by default")
    func extraDatabaseURLs() throws {
        let none = try Settings.resolve(databaseURL: "postgresql://pgbouncer:6432/doorman", environment: [:])
        #expect(none.notifyDatabaseURL == nil && none.readDatabaseURL == nil)
        let flags = try Settings.resolve(
            databaseURL: "postgresql://pgbouncer:6432/doorman", notifyDatabaseURL: "postgresql://db:5432/doorman",
            readDatabaseURL: "postgresql://db1,db2/doorman?target_session_attrs=prefer-standby",
            environment: ["DOORMAN_NOTIFY_DATABASE_URL": "postgresql://env/x", "DOORMAN_READ_DATABASE_URL": "postgresql://env/y"])
        #expect(flags.notifyDatabaseURL == "postgresql://db:5432/doorman")
        #expect(flags.readDatabaseURL == "postgresql://db1,db2/doorman?target_session_attrs=prefer-standby")
        let environment = try Settings.resolve(environment: ["DOORMAN_NOTIFY_DATABASE_URL": "host=db dbname=doorman", "DOORMAN_READ_DATABASE_URL": "host=standby dbname=doorman"])
        #expect(environment.notifyDatabaseURL == "host=db dbname=doorman")
        #expect(environment.readDatabaseURL == "host=standby dbname=doorman")
    }

    @Test("a malformed one is a configuration error naming the setting, never its password", arguments: ["DOORMAN_NOTIFY_DATABASE_URL", "DOORMAN_READ_DATABASE_URL"])
    func malformed(variable: String) {
        do {
            _ = try Settings.resolve(environment: [variable: "postgresql://u:SECRETPW@h/db?bogus_option=1"])
            Issue.record("accepted")
        } catch let error as DoormanError {
            #expect(error.kind == .configuration)
            #expect(error.message.contains(variable), "\(error.message)")
            #expect(!error.message.contains("SECRETPW"))
        } catch {
            Issue.record("\(error)")
        }
    }
}
