import DoormanCore
import DoormanHTTP
import DoormanUI
import DoormanStack
import Foundation
import Testing

/// `doorman serve --tls-cert --tls-key`: HTTPS, checked with curl as a client
/// that verifies the certificate.
@Suite("HTTPS")
struct HTTPSTests {
    static func curl(_ arguments: [String]) throws -> Subprocess.Result {
        try Subprocess.run([try #require(Subprocess.find("curl"))] + ["--silent", "--show-error", "--max-time", "10"] + arguments)
    }

    @Test("the seed's API over HTTPS, verified against the CA; plain HTTP on that port gets nothing")
    func https() async throws {
        let certificates = TestCertificates.shared
        let tls = try HTTPServerConfiguration.TLS(certificateFile: certificates.serverCertificate, keyFile: certificates.serverKey)
        let service = try TestServers.service()
        let server = try await service.httpServer(HTTPServerConfiguration(port: 0, tls: tls)).start()
        let url = "https://localhost:\(server.port)/products?limit=1"
        let answer = try Self.curl(["--cacert", certificates.caFile, "-u", "john_doe:EXAMPLE_PASSWORD", "--write-out", "\n%{http_code} %{ssl_verify_result}", url])
        #expect(answer.status == 0, "\(answer.standardError)")
        #expect(answer.standardOutput.contains(#""authenticated_by""#))
        #expect(answer.standardOutput.hasSuffix("\n200 0"))
        // A client that does not trust the CA refuses the server, and the server keeps serving.
        #expect(try Self.curl(["--cacert", certificates.unrelatedCAFile, url]).status != 0)
        #expect(try Self.curl(["http://localhost:\(server.port)/healthz"]).status != 0)
        #expect(try Self.curl(["--cacert", certificates.caFile, "https://localhost:\(server.port)/healthz"]).status == 0)
        await server.stop()
    }

    @Test("the UI's --remote https:// with --cacert logs in through a verified connection; a CA that did not sign the server is refused")
    func remoteUI() async throws {
        let certificates = TestCertificates.shared
        let tls = try HTTPServerConfiguration.TLS(certificateFile: certificates.serverCertificate, keyFile: certificates.serverKey)
        let service = try TestServers.service()
        let server = try await service.httpServer(HTTPServerConfiguration(port: 0, tls: tls)).start()
        let john = try Credentials(username: "john_doe", password: "EXAMPLE_PASSWORD")
        for host in ["localhost", "127.0.0.1"] {
            let trusted = try RemoteBackend(endpoint: try RemoteEndpoint(url: "https://\(host):\(server.port)"), caFile: certificates.caFile)
            guard case .authenticated(let authentication) = await trusted.logIn(john) else {
                Issue.record("no login over https://\(host)")
                continue
            }
            #expect(authentication.username == "john_doe")
        }
        let stranger = try RemoteBackend(endpoint: try RemoteEndpoint(url: "https://localhost:\(server.port)"), caFile: certificates.unrelatedCAFile)
        guard case .unavailable(let why) = await stranger.logIn(john) else {
            Issue.record("a server the CA did not sign was trusted")
            await server.stop()
            return
        }
        #expect(why.contains("TLS"), "\(why)")
        #expect(throws: DoormanError.self) { try RemoteBackend(endpoint: try RemoteEndpoint(url: "https://localhost:1"), caFile: "/nonexistent.pem") }
        await server.stop()
    }

    @Test("unreadable or mismatched files are configuration errors that name the file")
    func badFiles() async throws {
        let certificates = TestCertificates.shared
        for (certificate, key, word) in [("/nonexistent.pem", certificates.serverKey, "/nonexistent.pem"),
                                         (certificates.serverCertificate, "/nonexistent.key", "/nonexistent.key"),
                                         (certificates.serverCertificate, certificates.wrongNameKey, "does not match")] {
            do {
                _ = try HTTPServerConfiguration.TLS(certificateFile: certificate, keyFile: key)
                Issue.record("accepted \(certificate) \(key)")
            } catch let error as DoormanError {
                #expect(error.kind == .configuration)
                #expect(error.message.contains(word), "\(error.message)")
            }
        }
        let half = try await DoormanBinary.run(["serve", "--tls-cert", certificates.serverCertificate, "--port", "0"])
        #expect(half.status != 0)
        #expect(half.standardError.contains("both --tls-cert and --tls-key"))
    }
}
