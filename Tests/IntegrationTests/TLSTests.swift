import DoormanAuth
import DoormanCore
import DoormanPostgres
import DoormanRedis
import DoormanStack
import Foundation
import Synchronization
import Testing

/// TLS-enabled servers for the TLS tests, started through `EmbeddedStack`
/// with certificates the tests make: PostgreSQL with `ssl = on` on a loopback
/// port, Redis with a TLS port (and its plain unix socket).
enum TLSServers {
    static var certificates: TestCertificates { TestCertificates.shared }

    /// Servers presenting the certificate for `localhost` and `127.0.0.1`.
    static let trusted: EmbeddedStack = start(name: "tls", certificate: certificates.serverCertificate, key: certificates.serverKey)

    /// Servers presenting a certificate (from the same CA) for `wrong.example`.
    static let wrongName: EmbeddedStack = start(name: "tls-wrong", certificate: certificates.wrongNameCertificate, key: certificates.wrongNameKey)

    private static func start(name: String, certificate: String, key: String) -> EmbeddedStack {
        let stack = TestServers.startBlocking(name: name, tls: StackTLS(certificateFile: certificate, keyFile: key, caFile: certificates.caFile))
        let first = stacksForExit.withLock { stacks in
            stacks.append(stack)
            return stacks.count == 1
        }
        if first {
            atexit { stacksForExit.withLock { $0 }.forEach(TestServers.stop) }
        }
        return stack
    }

    /// A libpq URI for `stack` over TCP to `host` with `sslmode` (and the test
    /// CA, or `rootCertificate`, as `sslrootcert`).
    static func databaseURL(_ stack: EmbeddedStack = trusted, host: String = "localhost", sslmode: String = "verify-full", rootCertificate: String? = nil) -> String {
        let port = stack.postgresTCPAddress!.port
        return "postgresql://doorman@\(host):\(port)/doorman?sslmode=\(sslmode)&sslrootcert=\(rootCertificate ?? certificates.caFile)&connect_timeout=60"
    }

    /// `rediss://` for `stack`'s TLS port.
    static func redisURL(_ stack: EmbeddedStack = trusted, host: String = "localhost", userInfo: String = "", database: Int = 0) -> String {
        "rediss://\(userInfo)\(host):\(stack.redisTLSAddress!.port)/\(database)"
    }

    /// A gateway to `url` with a key prefix of its own.
    static func redis(_ url: String, caFile: String? = certificates.caFile, commandTimeout: Duration = .seconds(2)) throws -> RedisGateway {
        try RedisGateway(configuration: RedisConfiguration(
            endpoint: try RedisEndpoint(url: url),
            connectTimeout: .seconds(5),
            commandTimeout: commandTimeout,
            namespace: "doorman-tls-test-\(UUID().uuidString.prefix(8))",
            retryBackoff: .milliseconds(50),
            maxRetryBackoff: .milliseconds(200),
            caCertificateFile: caFile), logger: TestServers.quietLogger)
    }

    /// A gateway with one connection to `url`, and no back-off (each command tries again).
    static func connection(_ url: String, caFile: String? = certificates.caFile, commandTimeout: Duration = .seconds(2)) throws -> RedisGateway {
        try RedisGateway(configuration: RedisConfiguration(
            endpoint: try RedisEndpoint(url: url), connectTimeout: .seconds(5), commandTimeout: commandTimeout, poolSize: 1,
            retryBackoff: .zero, maxRetryBackoff: .zero, caCertificateFile: caFile), logger: TestServers.quietLogger)
    }

    /// The plain unix socket of `stack`'s Redis, for setting things up.
    static func plainRedis(_ stack: EmbeddedStack = trusted) throws -> RedisGateway {
        try RedisGateway(configuration: RedisConfiguration(endpoint: try RedisEndpoint(url: stack.redisURL), commandTimeout: .seconds(2), poolSize: 1),
                         logger: TestServers.quietLogger)
    }

    static func postgres(_ url: String) throws -> PostgresGateway {
        try PostgresGateway(configuration: PostgresConfiguration.test(connectionString: url, poolSize: 1), logger: TestServers.quietLogger)
    }
}

private let stacksForExit = Mutex<[EmbeddedStack]>([])

extension RedisGateway {
    /// One command whose error reply is returned, not thrown (as a raw connection would).
    func command(_ arguments: [String]) async throws -> RedisReply {
        try await pipeline([arguments.map { Array($0.utf8) }])[0]
    }

    /// ``command(_:)`` with byte arguments.
    func command(_ arguments: [[UInt8]]) async throws -> RedisReply {
        try await pipeline([arguments])[0]
    }
}

/// The message of the `DoormanError` that `body` throws (failing the test when
/// it throws nothing, or something else).
private func asyncErrorMessage(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> DoormanError? {
    do {
        try await body()
        Issue.record("no error was thrown", sourceLocation: sourceLocation)
    } catch let error as DoormanError {
        return error
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// The message of the `DoormanError` that `body` throws (failing the test when
/// it throws nothing, or something else).
private func errorMessage(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> DoormanError? {
    do {
        try await body()
        Issue.record("no error was thrown", sourceLocation: sourceLocation)
    } catch let error as DoormanError {
        return error
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

private func errorMessage(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DoormanError? {
    do {
        try body()
        Issue.record("no error was thrown", sourceLocation: sourceLocation)
    } catch let error as DoormanError {
        return error
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

@Suite("TLS to PostgreSQL")
struct PostgresTLSTests {
    @Test("verify-full with the test CA and host=localhost: logins work over an encrypted session")
    func verifyFull() async throws {
        let postgres = try TLSServers.postgres(TLSServers.databaseURL())
        let session = try await postgres.query("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        #expect(session.rows.first?[0] == "t")
        #expect(session.rows.first?[1]?.hasPrefix("TLSv1.") == true, "\(session.rows)")

        let service = AuthService(postgres: postgres, redis: try TLSServers.redis(TLSServers.trusted.redisURL), logger: TestServers.quietLogger)
        let outcome = await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli)
        #expect(outcome.source == .postgres)
        #expect(await service.authenticate(username: "john_doe", password: "wrong", origin: .cli).result == .rejected)
    }

    @Test("verify-full to 127.0.0.1 works: the certificate names the address")
    func verifyFullByAddress() async throws {
        let postgres = try TLSServers.postgres(TLSServers.databaseURL(host: "127.0.0.1"))
        let session = try await postgres.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        #expect(session.rows.first?[0] == "t")
    }

    @Test("verify-full with an unrelated CA is refused with libpq's reason")
    func unknownIssuer() async throws {
        let postgres = try TLSServers.postgres(TLSServers.databaseURL(rootCertificate: TLSServers.certificates.unrelatedCAFile))
        let error = await errorMessage { try await postgres.ping() }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.hasPrefix("cannot connect to PostgreSQL: ") == true)
        #expect(error?.message.contains("certificate verify failed") == true, "\(error?.message ?? "")")
    }

    @Test("verify-full to a server whose certificate names another host is refused")
    func hostnameMismatch() async throws {
        let postgres = try TLSServers.postgres(TLSServers.databaseURL(TLSServers.wrongName))
        let error = await errorMessage { try await postgres.ping() }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains(#"server certificate for "wrong.example" does not match host name "localhost""#) == true, "\(error?.message ?? "")")
    }

    @Test("sslmode=require against a server without TLS is a clear error")
    func requireWithoutServerTLS() async throws {
        let port = TestServers.shared.postgresTCPAddress!.port
        let postgres = try TLSServers.postgres("postgresql://doorman@127.0.0.1:\(port)/doorman?sslmode=require")
        let error = await errorMessage { try await postgres.ping() }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("server does not support SSL, but SSL was required") == true, "\(error?.message ?? "")")
    }

    @Test("a missing sslrootcert file is named in the error")
    func missingRootCertificate() async throws {
        let postgres = try TLSServers.postgres(TLSServers.databaseURL(rootCertificate: "/nonexistent/ca.pem"))
        let error = await errorMessage { try await postgres.ping() }
        #expect(error?.message.contains(#"root certificate file "/nonexistent/ca.pem" does not exist"#) == true, "\(error?.message ?? "")")
    }

    @Test("a password in the URL never reaches an error message")
    func passwordNotInErrors() async throws {
        // libpq repeats a URI it cannot parse, and the token with a bad %-escape.
        for url in ["postgresql://doorman:s3cr%et@localhost/doorman", "postgresql://doorman:s3cret@[::1", "host=localhost password=s3cret port=abc"] {
            let error = await errorMessage { try await PostgresGateway(configuration: PostgresConfiguration.test(connectionString: url)).ping() }
            #expect(error != nil)
            #expect(error?.message.contains("s3cr") == false, "\(error?.message ?? "")")
        }
        // A wrong password for a server that asks for one.
        let port = TLSServers.trusted.postgresTCPAddress!.port
        let postgres = try TLSServers.postgres("postgresql://nobody:s3cret@localhost:\(port)/doorman?sslmode=verify-full&sslrootcert=\(TLSServers.certificates.caFile)")
        let error = await errorMessage { try await postgres.ping() }
        #expect(error?.message.contains("s3cret") == false)
    }
}

@Suite("TLS in the embedded stack")
struct StackTLSTests {
    @Test("Redis answers on its TLS port to redis-cli --tls, and its unix socket stays plain")
    func redisTLSPort() async throws {
        guard let redisCLI = Subprocess.find("redis-cli") else {
            Issue.record("redis-cli is not installed")
            return
        }
        let port = TLSServers.trusted.redisTLSAddress!.port
        let ping = try Subprocess.run([redisCLI, "--tls", "--cacert", TLSServers.certificates.caFile, "-h", "localhost", "-p", String(port), "PING"], mergeOutput: true)
        #expect(ping.standardOutput == "PONG\n")
        #expect(try await TLSServers.plainRedis().command(["PING"]) == .status("PONG"))
        #expect(TLSServers.trusted.redisTCPAddress == nil)
    }

    @Test("the servers' copies of the key are theirs alone (mode 0600, owned by the server's account)")
    func keyFiles() async throws {
        let root = TLSServers.trusted.configuration.stateDirectory
        for (server, account) in [("postgres", "postgres"), ("redis", "redis")] {
            var info = stat()
            #expect(stat(root + "/\(server)/tls/server.key", &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)
            if geteuid() == 0, let entry = getpwnam(account) {
                #expect(info.st_uid == entry.pointee.pw_uid, "\(server)")
            } else if geteuid() != 0 {
                #expect(info.st_uid == geteuid())
            }
        }
    }
}

@Suite("TLS to Redis")
struct RedisTLSTests {
    @Test("rediss://localhost with the test CA: GET, SET and a cache-aside login over TLS")
    func getSetAndLogin() async throws {
        let connection = try TLSServers.connection(TLSServers.redisURL())
                #expect(try await connection.command(["SET", "tls:hello", "world"]) == .status("OK"))
        #expect(try await connection.command(["GET", "tls:hello"]) == .string(Array("world".utf8)))
        #expect(try await connection.command(["GET", "tls:missing"]) == .null)

        let redis = try TLSServers.redis(TLSServers.redisURL())
        try await redis.ping()
        let postgres = try TLSServers.postgres(TLSServers.databaseURL())
        let service = AuthService(postgres: postgres, redis: redis, logger: TestServers.quietLogger)
        let first = await service.authenticate(username: "mary_smith", password: "EXAMPLE_PASSWORD_2", origin: .cli)
        #expect(first.source == .postgres)
        #expect(!first.cacheUnavailable)
        #expect(try await redis.cachedValue(for: "mary_smith")?.hasPrefix("v1|") == true)
        #expect(try await (redis.timeToLive(for: "mary_smith") ?? 0) > 0)
        let second = await service.authenticate(username: "mary_smith", password: "EXAMPLE_PASSWORD_2", origin: .cli)
        #expect(second.source == .redis)
        #expect(await service.authenticate(username: "mary_smith", password: "wrong", origin: .cli).result == .rejected)
    }

    @Test("rediss://127.0.0.1 is verified against the certificate's IP address")
    func ipAddress() async throws {
        let connection = try TLSServers.connection(TLSServers.redisURL(host: "127.0.0.1"))
        #expect(try await connection.command(["PING"]) == .status("PONG"))
        // The wrong-name certificate has no IP address in it.
        let error = await asyncErrorMessage { try await TLSServers.connection(TLSServers.redisURL(TLSServers.wrongName, host: "127.0.0.1")).ping() }
        #expect(error?.message.contains("certificate verify failed: IP address mismatch") == true, "\(error?.message ?? "")")
    }

    @Test("AUTH with an ACL user, and SELECT, work over TLS; a wrong password is refused without showing it")
    func aclUserAndDatabase() async throws {
        let user = "tls_\(UUID().uuidString.prefix(8).lowercased())"
        let password = "pw-\(UUID().uuidString)"
        let plain = try TLSServers.plainRedis()
        #expect(try await plain.command(["ACL", "SETUSER", user, "on", ">\(password)", "~*", "+@all"]) == .status("OK"))

        let url = TLSServers.redisURL(userInfo: "\(user):\(password)@", database: 5)
        let connection = try TLSServers.connection(url)
        #expect(try await connection.command(["ACL", "WHOAMI"]) == .string(Array(user.utf8)))
        #expect(try await connection.command(["SET", "tls:acl:\(user)", "in db 5"]) == .status("OK"))
        // The key landed in database 5: the plain socket sees it there, not in 0.
        #expect(try await plain.command(["EXISTS", "tls:acl:\(user)"]) == .integer(0))
        #expect(try await plain.command(["SELECT", "5"]) == .status("OK"))
        #expect(try await plain.command(["GET", "tls:acl:\(user)"]) == .string(Array("in db 5".utf8)))

        let redis = try TLSServers.redis(url)
        try await redis.cacheValue("$2a$04$abc", for: user)
        #expect(try await redis.cachedValue(for: user) == "$2a$04$abc")

        let error = await asyncErrorMessage { try await TLSServers.connection(TLSServers.redisURL(userInfo: "\(user):not-\(password)@")).ping() }
        #expect(error?.message.contains("WRONGPASS") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(password) == false)
        #expect(error?.message.contains("rediss://\(user):***@localhost") == true)
    }

    @Test("a server certificate for another name is refused; logins go to PostgreSQL with the cache unavailable")
    func hostnameMismatch() async throws {
        let redis = try TLSServers.redis(TLSServers.redisURL(TLSServers.wrongName))
        let error = await asyncErrorMessage { try await redis.ping() }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("TLS handshake failed: certificate verify failed: hostname mismatch") == true, "\(error?.message ?? "")")

        let service = AuthService(postgres: try TLSServers.postgres(TLSServers.databaseURL()), redis: redis, logger: TestServers.quietLogger)
        let outcome = await service.authenticate(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli)
        #expect(outcome.source == .postgres)
        #expect(outcome.cacheUnavailable)
    }

    @Test("a server certificate from an unknown CA is refused, with a CA file and with the system store")
    func unknownIssuer() async throws {
        for caFile in [TLSServers.certificates.unrelatedCAFile, nil] {
            let error = await asyncErrorMessage { try await TLSServers.connection(TLSServers.redisURL(), caFile: caFile).ping() }
            #expect(error?.kind == .unavailable)
            // BoringSSL (in NIOSSL) reports CERTIFICATE_VERIFY_FAILED without OpenSSL's finer reason.
            let message = error?.message ?? ""
            #expect(message.contains("TLS handshake failed: certificate verify failed: the server's certificate does not chain to a trusted CA"), "\(message)")
        }
    }

    @Test("plain redis:// to the TLS port, and rediss:// to a plain port, fail cleanly")
    func wrongProtocol() async throws {
        let tlsPort = TLSServers.trusted.redisTLSAddress!.port
        let plainToTLS = await asyncErrorMessage {
            let connection = try TLSServers.connection("redis://127.0.0.1:\(tlsPort)")
            _ = try await connection.command(["PING"])
        }
        #expect(plainToTLS?.isUnavailable == true, "\(plainToTLS?.message ?? "")")

        let plainPort = TestServers.shared.redisTCPAddress!.port
        let tlsToPlain = await asyncErrorMessage { try await TLSServers.connection("rediss://localhost:\(plainPort)").ping() }
        #expect(tlsToPlain?.isUnavailable == true)
        #expect(tlsToPlain?.message.contains("TLS handshake") == true, "\(tlsToPlain?.message ?? "")")
    }

    @Test("large values and multi-bulk replies arrive whole over TLS")
    func largeAndMultiBulk() async throws {
        let connection = try TLSServers.connection(TLSServers.redisURL(), commandTimeout: .seconds(5))
        let prefix = "tls:bulk:\(UUID().uuidString.prefix(8)):"
        // 3 MiB of every byte value (NULs and CRLFs included): many TLS records, many reads.
        let large = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        #expect(try await connection.command([Array("SET".utf8), Array((prefix + "large").utf8), large]) == .status("OK"))
        #expect(try await connection.command([Array("GET".utf8), Array((prefix + "large").utf8)]) == .string(large))
        #expect(try await connection.command(["STRLEN", prefix + "large"]) == .integer(Int64(large.count)))

        var mset = ["MSET"]
        for index in 0..<2_000 { mset += [prefix + "k\(index)", "value \(index) " + String(repeating: "x", count: index % 50)] }
        #expect(try await connection.command(mset) == .status("OK"))
        let keys = (0..<2_000).map { prefix + "k\($0)" }
        let values = try await connection.command(["MGET"] + keys + [prefix + "missing"])
        guard case .array(let elements) = values else { Issue.record("MGET returned \(values)"); return }
        #expect(elements.count == 2_001)
        #expect(elements[0] == .string(Array("value 0 ".utf8)))
        #expect(elements[1_999] == .string(Array(("value 1999 " + String(repeating: "x", count: 1_999 % 50)).utf8)))
        #expect(elements[2_000] == .null)

        var cursor = "0"
        var seen = Set<String>()
        repeat {
            guard case .array(let parts) = try await connection.command(["SCAN", cursor, "MATCH", prefix + "k*", "COUNT", "500"]),
                  parts.count == 2, let next = parts[0].text, case .array(let found) = parts[1] else {
                Issue.record("unexpected SCAN reply"); return
            }
            cursor = next
            for key in found { if let text = key.text { seen.insert(text) } }
        } while cursor != "0"
        #expect(seen == Set(keys))
    }

    @Test("one gateway's TLS connections serve many concurrent tasks at once (pipelined)")
    func concurrentUse() async throws {
        let redis = try TLSServers.redis(TLSServers.redisURL(), commandTimeout: .seconds(5))
        let failures = await withTaskGroup(of: [String].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var failures: [String] = []
                    for round in 0..<25 {
                        let user = "worker\(worker)"
                        do {
                            try await redis.cacheValue("hash-\(worker)-\(round)", for: user)
                            let read = try await redis.cachedValue(for: user)
                            if read != "hash-\(worker)-\(round)" { failures.append("\(user) read \(read ?? "nil")") }
                        } catch {
                            failures.append("\(user): \(error)")
                        }
                    }
                    return failures
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(failures == [])
    }

    @Test("a reply that does not come in time fails as unavailable, and the connection is dropped (the next command works)")
    func replyTimeout() async throws {
        let connection = try TLSServers.connection(TLSServers.redisURL(), commandTimeout: .milliseconds(200))
        let started = ContinuousClock.now
        // BLPOP would answer nil after 30 s: an error well before that is the deadline at work.
        // (The bound is loose: other tests of the run block threads of Swift's pool for seconds.)
        let error = await asyncErrorMessage { _ = try await connection.command(["BLPOP", "tls:never:\(UUID().uuidString)", "30"]) }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("did not answer within") == true, "\(error?.message ?? "")")
        #expect(connection.health.timeouts == 1)
        #expect(try await connection.command(["PING"]) == .status("PONG"))
    }

    @Test("a CA file that is missing, or holds no certificate, is a configuration error when the gateway is made")
    func badCAFile() async throws {
        let missing = errorMessage { _ = try TLSServers.redis(TLSServers.redisURL(), caFile: "/nonexistent/ca.pem") }
        #expect(missing?.kind == .configuration)
        #expect(missing?.message == "cannot read the CA file /nonexistent/ca.pem: No such file or directory")

        let notPEM = TestServers.makeTemporaryDirectory(prefix: "doorman-test-notpem") + "/ca.pem"
        defer { try? FileManager.default.removeItem(atPath: (notPEM as NSString).deletingLastPathComponent) }
        try "not a certificate\n".write(toFile: notPEM, atomically: true, encoding: .utf8)
        let garbage = errorMessage { _ = try TLSServers.redis(TLSServers.redisURL(), caFile: notPEM) }
        #expect(garbage?.kind == .configuration)
        #expect(garbage?.message.hasPrefix("cannot load CA certificates from \(notPEM): ") == true, "\(garbage?.message ?? "")")
    }
}

@Suite("TLS from the command line")
struct CommandLineTLSTests {
    private var databaseURL: String { TLSServers.databaseURL() }

    @Test("login over TLS to both stores prints PostgreSQL, then Redis")
    func loginTwice() async throws {
        let flags = ["--database-url", databaseURL, "--redis-url", TLSServers.redisURL(database: 6), "--redis-cacert", TLSServers.certificates.caFile]
        let flush = try await DoormanBinary.run(["cache", "flush", "john_doe"] + flags)
        #expect(flush.status == 0, "\(flush.standardError)")
        let first = try await DoormanBinary.run(["login", "john_doe"] + flags, input: "EXAMPLE_PASSWORD\n")
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.hasPrefix("Authenticated by PostgreSQL Server (lookup "), "\(first.standardOutput)")
        #expect(!first.standardOutput.contains("cache unavailable"))
        let second = try await DoormanBinary.run(["login", "john_doe"] + flags, input: "EXAMPLE_PASSWORD\n")
        #expect(second.standardOutput.hasPrefix("Authenticated by Redis Server (lookup "), "\(second.standardOutput) \(second.standardError)")
    }

    @Test("REDIS_CACERT works like --redis-cacert; without either, the system store (SSL_CERT_FILE) decides")
    func caFromEnvironment() async throws {
        let environment = ["DATABASE_URL": databaseURL, "REDIS_URL": TLSServers.redisURL(database: 7)]
        _ = try await DoormanBinary.run(["cache", "flush", "mary_smith"], environment: environment.merging(["REDIS_CACERT": TLSServers.certificates.caFile]) { $1 })

        let viaVariable = try await DoormanBinary.run(["login", "mary_smith"], input: "EXAMPLE_PASSWORD_2\n",
                                                environment: environment.merging(["REDIS_CACERT": TLSServers.certificates.caFile]) { $1 })
        #expect(viaVariable.standardOutput.hasPrefix("Authenticated by PostgreSQL Server"), "\(viaVariable.standardError)")
        #expect(!viaVariable.standardOutput.contains("cache unavailable"))

        // OpenSSL's default store honours SSL_CERT_FILE: pointed at the test CA, it verifies the server.
        let viaSystemStore = try await DoormanBinary.run(["login", "mary_smith"], input: "EXAMPLE_PASSWORD_2\n",
                                                   environment: environment.merging(["SSL_CERT_FILE": TLSServers.certificates.caFile]) { $1 })
        #expect(viaSystemStore.standardOutput.hasPrefix("Authenticated by Redis Server"), "\(viaSystemStore.standardError)")

        // The real system store does not know the test CA: the cache is unavailable, the login still works.
        let untrusted = try await DoormanBinary.run(["login", "mary_smith"], input: "EXAMPLE_PASSWORD_2\n", environment: environment)
        #expect(untrusted.status == 0)
        #expect(untrusted.standardOutput.hasPrefix("Authenticated by PostgreSQL Server"))
        #expect(untrusted.standardOutput.contains("cache unavailable"))
    }

    @Test("a missing CA file exits 64 with one line")
    func missingCAFile() async throws {
        let result = try await DoormanBinary.run(
            ["login", "john_doe", "--database-url", databaseURL, "--redis-url", TLSServers.redisURL(), "--redis-cacert", "/nonexistent/ca.pem"],
            input: "EXAMPLE_PASSWORD\n")
        #expect(result.status == 64)
        #expect(result.standardError == "doorman: cannot read the CA file /nonexistent/ca.pem: No such file or directory (--redis-cacert / REDIS_CACERT)\n")
        #expect(result.standardOutput.isEmpty)
    }

    @Test("a malformed database URL with a password exits 64 without showing the password")
    func malformedURLHidesPassword() async throws {
        let result = try await DoormanBinary.run(["login", "john_doe", "--database-url", "postgresql://doorman:s3cret@[::1"], input: "x\n")
        #expect(result.status == 64)
        #expect(result.standardError.hasPrefix("doorman: invalid database URL: "))
        #expect(!result.standardError.contains("s3cret"))
        #expect(result.standardError.split(separator: "\n").count == 1)
    }
}
