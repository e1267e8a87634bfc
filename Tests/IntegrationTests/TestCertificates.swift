import DoormanCore
import DoormanStack
import Foundation

/// Certificates the TLS tests make with the `openssl` command, once per test
/// run, in a temporary directory: a CA, a server certificate it signs for
/// `DNS:localhost` and `IP:127.0.0.1`, one it signs for `DNS:wrong.example`
/// (a name no test connects to), and an unrelated CA that signed nothing
/// the servers present.
struct TestCertificates: Sendable {
    let directory: String
    var caFile: String { directory + "/ca.pem" }
    var serverCertificate: String { directory + "/server.pem" }
    var serverKey: String { directory + "/server.key" }
    var wrongNameCertificate: String { directory + "/wrong.pem" }
    var wrongNameKey: String { directory + "/wrong.key" }
    var unrelatedCAFile: String { directory + "/unrelated-ca.pem" }

    static let shared: TestCertificates = {
        let directory = TestServers.makeTemporaryDirectory(prefix: "doorman-test-certs")
        certificatesForExit = directory
        atexit {
            if let directory = certificatesForExit { try? FileManager.default.removeItem(atPath: directory) }
        }
        do {
            return try make(in: directory)
        } catch {
            fatalError("cannot make test certificates with openssl: \(error)")
        }
    }()

    private static func make(in directory: String) throws -> TestCertificates {
        let certificates = TestCertificates(directory: directory)
        try makeCA(name: "Doorman Test CA", key: directory + "/ca.key", certificate: certificates.caFile)
        try makeCA(name: "Unrelated Test CA", key: directory + "/unrelated-ca.key", certificate: certificates.unrelatedCAFile)
        try makeServer(in: directory, name: "server", commonName: "localhost", subjectAltName: "DNS:localhost,IP:127.0.0.1")
        try makeServer(in: directory, name: "wrong", commonName: "wrong.example", subjectAltName: "DNS:wrong.example")
        return certificates
    }

    private static func makeCA(name: String, key: String, certificate: String) throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=\(name)",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    }

    private static func makeServer(in directory: String, name: String, commonName: String, subjectAltName: String) throws {
        let extensions = directory + "/\(name).ext"
        try """
        subjectAltName = \(subjectAltName)
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature, keyEncipherment
        extendedKeyUsage = serverAuth

        """.write(toFile: extensions, atomically: true, encoding: .utf8)
        try openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", directory + "/\(name).key", "-out", directory + "/\(name).csr", "-subj", "/CN=\(commonName)"])
        try openssl(["x509", "-req", "-in", directory + "/\(name).csr", "-CA", directory + "/ca.pem", "-CAkey", directory + "/ca.key",
                     "-set_serial", String(UInt32.random(in: 1...UInt32.max)), "-days", "2",
                     "-extfile", extensions, "-out", directory + "/\(name).pem"])
    }

    private static func openssl(_ arguments: [String]) throws {
        guard let program = Subprocess.find("openssl") else {
            throw DoormanError(.configuration, "the openssl command is missing (apt-get install openssl)")
        }
        let result = try Subprocess.run([program] + arguments, mergeOutput: true)
        guard result.status == 0 else {
            throw DoormanError(.configuration, "openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(result.standardOutput)")
        }
    }
}

nonisolated(unsafe) private var certificatesForExit: String?
