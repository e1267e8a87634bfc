import DoormanAuth
import DoormanCore
import DoormanHTTP
import DoormanPostgres
import Foundation
import Logging
import Synchronization
import Testing

/// Every line logged, at every level, kept for inspection.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        var logger = Logger(label: "captured") { _ in Handler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            let all = self.metadata.merging(metadata ?? [:]) { $1 }
            log.lines.withLock { $0.append("\(level) \(message) \(all)") }
        }
    }
}

/// The suite's own error paths, run with everything logged: no message, log
/// line, HTTP body or outcome holds a password, a hash or a typed unknown name.
@Suite("No secrets in text")
struct SecretsInTextTests {
    @Test("wrong passwords, unknown names, throttling, malformed input and PostgreSQL errors leave no secret in any text")
    func errorPaths() async throws {
        let captured = CapturedLog()
        let service = try TestServers.service(throttle: ThrottlePolicy(pairLimit: 3))
        let auth = AuthService(postgres: service.postgres, redis: service.redis,
                               configuration: .init(throttle: ThrottlePolicy(pairLimit: 3), rehash: true), logger: captured.logger)
        try await auth.prepare()
        let user = try await TestServers.makeUser(password: "the-right-password")
        let hash = try #require(try await service.postgres.passwordHash(for: user))
        let unknown = "EXAMPLE_PASSWORD_typed_as_a_name"
        let secrets = ["the-right-password", "a-wrong-guess", hash, unknown, String(hash.suffix(31))]
        var texts: [String] = []

        for password in ["a-wrong-guess", "a-wrong-guess", "a-wrong-guess", "the-right-password"] {
            texts.append(await auth.authenticate(username: user, password: password, origin: .http, client: .address("198.51.100.4")).summary)
        }
        texts.append(await auth.authenticate(username: unknown, password: "the-right-password", origin: .http).summary)
        texts.append(await auth.authenticate(username: unknown + "\u{7}", password: "a-wrong-guess", origin: .cli).summary)
        // PostgreSQL errors: a constraint failure on a row that holds a hash.
        do {
            try await service.postgres.addUser(user, passwordHash: hash)
        } catch let error as DoormanError {
            texts.append(error.message)
        }
        do {
            _ = try await service.postgres.query("INSERT INTO users (username, pwd) VALUES ($1, $2)", [user, hash])
        } catch let error as DoormanError {
            texts.append(error.message)
            #expect(error.message.contains("SQLSTATE 23505"), "\(error.message)")
        }
        // HTTP: every refusal's body and headers.
        let server = try await TestService(auth: auth, postgres: service.postgres, redis: service.redis).httpServer().start()
        let client = try await RawHTTPClient.open(port: server.port)
        for header in [BasicAuthorization.header(username: unknown, password: "a-wrong-guess"),
                       BasicAuthorization.header(username: user, password: "a-wrong-guess"), "Basic !!!"] {
            let response = try await client.fetch("/products", authorization: header)
            texts.append(String(decoding: response.body, as: UTF8.self))
            texts.append(response.headers.map { "\($0): \($1)" }.joined(separator: "\n"))
        }
        await server.stop()
        texts += captured.lines.withLock { $0 }
        #expect(captured.lines.withLock { $0 }.count > 3, "the paths did log")
        for text in texts {
            for secret in secrets {
                #expect(!text.contains(secret), "\(text)")
            }
        }
    }
}
