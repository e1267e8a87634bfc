import DoormanCore
import Foundation
import NIOSSL

extension RedisConfiguration {
    /// Checks that a CA file given for `rediss://` can be opened for reading;
    /// throws a `.configuration` error naming the file and the reason.
    /// (Its contents are loaded, and checked, when a ``RedisGateway`` is made.)
    public static func checkCACertificateFile(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw DoormanError(.configuration, "cannot read the CA file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        if fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw DoormanError(.configuration, "cannot read the CA file \(path): it is a directory")
        }
    }

    /// The NIOSSL client context for `rediss://`: full certificate
    /// verification against the CA file, or the system's store, and host name
    /// (or IP address) verification; TLS 1.2 at least. The system store is
    /// `SSL_CERT_FILE` when set, as with OpenSSL. `nil` without TLS.
    func makeTLSContext() throws -> NIOSSLContext? {
        guard endpoint.usesTLS else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        if let file = caCertificateFile {
            try Self.checkCACertificateFile(file)
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(file)
            } catch {
                throw DoormanError(.configuration, "cannot load CA certificates from \(file): \(error)")
            }
            guard !certificates.isEmpty else {
                throw DoormanError(.configuration, "cannot load CA certificates from \(file): not a PEM certificate file")
            }
            tls.trustRoots = .certificates(certificates)
        } else if let file = ProcessInfo.processInfo.environment["SSL_CERT_FILE"], !file.isEmpty {
            // OpenSSL's system store honours SSL_CERT_FILE; NIOSSL's `.default` does not.
            tls.trustRoots = .file(file)
        } else {
            tls.trustRoots = .default
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw DoormanError(.configuration, "cannot set up TLS for Redis: \(error)")
        }
    }
}
