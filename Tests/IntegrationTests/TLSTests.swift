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
        let stack = TestServers.start(name: name, tls: StackTLS(certificateFile: certificate, keyFile: key, caFile: certificates.caFile))
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
        return "postgresql://doorman@\(host):\(port)/doorman?sslmode=\(sslmode)&sslrootcert=\(rootCertificate ?? certificates.caFile)&connect_timeout=5"
    }

    /// A gateway to `url` with a key prefix of its own.
    static func redis(_ url: String) throws -> RedisGateway {
        try RedisGateway(configuration: RedisConfiguration(
            endpoint: try RedisEndpoint(url: url), keyPrefix: "doorman:tls-test:\(UUID().uuidString.prefix(8)):"), logger: TestServers.quietLogger)
    }

    /// The plain unix socket of `stack`'s Redis, for setting things up.
    static func plainRedis(_ stack: EmbeddedStack = trusted) throws -> RedisConnection {
        try RedisConnection(configuration: RedisConfiguration(endpoint: try RedisEndpoint(url: stack.redisURL)))
    }

    static func postgres(_ url: String) throws -> PostgresGateway {
        try PostgresGateway(configuration: PostgresConfiguration(connectionString: url, poolSize: 1), logger: TestServers.quietLogger)
    }
}

private let stacksForExit = Mutex<[EmbeddedStack]>([])

/// The message of the `DoormanError` that `body` throws (failing the test when
/// it throws nothing, or something else).
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
    func verifyFull() throws {
        let postgres = try TLSServers.postgres(TLSServers.databaseURL())
        let session = try postgres.withConnection { try $0.query("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()") }
        #expect(session.rows.first?[0] == "t")
        #expect(session.rows.first?[1]?.hasPrefix("TLSv1.") == true, "\(session.rows)")

        let service = AuthService(postgres: postgres, redis: try TLSServers.redis(TLSServers.trusted.redisURL), logger: TestServers.quietLogger)
        let outcome = service.authenticateBlocking(username: "john_doe", password: "EXAMPLE_PASSWORD", origin: .cli)
        #expect(outcome.source == .postgres)
        #expect(service.authenticateBlocking(username: "john_doe", password: "wrong", origin: .cli).result == .rejected)
    }

    @Test("verify-full to 127.0.0.1 works: the certificate names the address")
    func verifyFullByAddress() throws {
        let postgres = try TLSServers.postgres(TLSServers.databaseURL(host: "127.0.0.1"))
        let session = try postgres.withConnection { try $0.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") }
        #expect(session.rows.first?[0] == "t")
    }

    @Test("verify-full with an unrelated CA is refused with libpq's reason")
    func unknownIssuer() throws {
        let postgres = try TLSServers.postgres(TLSServers.databaseURL(rootCertificate: TLSServers.certificates.unrelatedCAFile))
        let error = errorMessage { try postgres.ping() }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.hasPrefix("cannot connect to PostgreSQL: ") == true)
        #expect(error?.message.contains("certificate verify failed") == true, "\(error?.message ?? "")")
    }

    @Test("verify-full to a server whose certificate names another host is refused")
    func hostnameMismatch() throws {
        let postgres = try TLSServers.postgres(TLSServers.databaseURL(TLSServers.wrongName))
        let error = errorMessage { try postgres.ping() }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains(#"server certificate for "wrong.example" does not match host name "localhost""#) == true, "\(error?.message ?? "")")
    }

    @Test("sslmode=require against a server without TLS is a clear error")
    func requireWithoutServerTLS() throws {
        let port = TestServers.shared.postgresTCPAddress!.port
        let postgres = try TLSServers.postgres("postgresql://doorman@127.0.0.1:\(port)/doorman?sslmode=require")
        let error = errorMessage { try postgres.ping() }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("server does not support SSL, but SSL was required") == true, "\(error?.message ?? "")")
    }

    @Test("a missing sslrootcert file is named in the error")
    func missingRootCertificate() throws {
        let postgres = try TLSServers.postgres(TLSServers.databaseURL(rootCertificate: "/nonexistent/ca.pem"))
        let error = errorMessage { try postgres.ping() }
        #expect(error?.message.contains(#"root certificate file "/nonexistent/ca.pem" does not exist"#) == true, "\(error?.message ?? "")")
    }
}

@Suite("TLS in the embedded stack")
struct StackTLSTests {
    @Test("Redis answers on its TLS port to redis-cli --tls, and its unix socket stays plain")
    func redisTLSPort() throws {
        guard let redisCLI = Subprocess.find("redis-cli") else {
            Issue.record("redis-cli is not installed")
            return
        }
        let port = TLSServers.trusted.redisTLSAddress!.port
        let ping = try Subprocess.run([redisCLI, "--tls", "--cacert", TLSServers.certificates.caFile, "-h", "localhost", "-p", String(port), "PING"], mergeOutput: true)
        #expect(ping.standardOutput == "PONG\n")
        #expect(try TLSServers.plainRedis().command(["PING"]) == .status("PONG"))
        #expect(TLSServers.trusted.redisTCPAddress == nil)
    }

    @Test("the servers' copies of the key are theirs alone (mode 0600, owned by the server's account)")
    func keyFiles() throws {
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
