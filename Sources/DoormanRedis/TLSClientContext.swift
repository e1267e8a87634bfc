internal import COpenSSL
import DoormanCore
import Foundation

/// The TLS settings shared by every `rediss://` connection of one gateway: an
/// OpenSSL `SSL_CTX` with TLS 1.2 as the floor, peer verification always on,
/// and the trusted CAs loaded once (a CA file, or the system store). Owns the
/// `SSL_CTX` and frees it in `deinit`; each session holds its own reference.
final class TLSClientContext: @unchecked Sendable {
    // @unchecked Sendable: the SSL_CTX is configured completely in `init` and
    // never changed afterwards; OpenSSL allows `SSL_new` on a configured
    // context from any number of threads at once (it only takes a reference).
    let handle: OpaquePointer

    /// Creates the context. Wraps `SSL_CTX_new(TLS_client_method())`,
    /// `SSL_CTX_set_min_proto_version`, `SSL_CTX_set_verify(SSL_VERIFY_PEER)`
    /// and `SSL_CTX_load_verify_locations` (with `caCertificateFile`) or
    /// `SSL_CTX_set_default_verify_paths` (the system store, which honours
    /// `SSL_CERT_FILE` and `SSL_CERT_DIR`).
    ///
    /// Throws `.configuration` when the CA file cannot be read or holds no
    /// certificate.
    init(caCertificateFile: String?) throws {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw DoormanError(.configuration, "cannot create a TLS context: \(TLSErrorQueue.drain() ?? "out of memory")")
        }
        handle = context
        guard doorman_ssl_ctx_require_tls12(context) == 1 else {
            throw DoormanError(.configuration, "cannot require TLS 1.2: \(TLSErrorQueue.drain() ?? "unknown error")")
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let file = caCertificateFile {
            try Self.checkReadable(file)
            guard SSL_CTX_load_verify_locations(context, file, nil) == 1 else {
                throw DoormanError(.configuration, "cannot load CA certificates from \(file): \(TLSErrorQueue.drain() ?? "not a PEM certificate file")")
            }
        } else {
            guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw DoormanError(.configuration, "cannot load the system's CA certificates: \(TLSErrorQueue.drain() ?? "unknown error")")
            }
        }
    }

    deinit {
        SSL_CTX_free(handle)
    }

    /// Throws a `.configuration` error naming the file and the reason
    /// (missing, unreadable, a directory) unless `path` can be opened for reading.
    static func checkReadable(_ path: String) throws {
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
}

/// What a server certificate must name: the host as written in the URL,
/// checked as a DNS name (and sent as SNI), or as an IP address when the host
/// is an IP literal (checked against the certificate's IP SANs, no SNI).
enum TLSPeerName: Equatable, Sendable {
    /// A host name, such as `localhost` or `cache.example.com`.
    case dnsName(String)
    /// An IPv4 or IPv6 address, such as `127.0.0.1` or `::1`.
    case ipAddress(String)

    /// Classifies `host` with `inet_pton`.
    init(host: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 {
            self = .ipAddress(host)
        } else {
            self = .dnsName(host)
        }
    }
}

/// OpenSSL's per-thread error queue.
enum TLSErrorQueue {
    /// Empties the queue and returns the earliest error's reason
    /// ("certificate verify failed"), or `nil` when the queue was empty.
    /// Wraps `ERR_get_error` and `ERR_reason_error_string`.
    static func drain() -> String? {
        var first: String?
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if first == nil {
                if let reason = ERR_reason_error_string(code) {
                    first = String(cString: reason)
                } else {
                    var buffer = [CChar](repeating: 0, count: 256)
                    ERR_error_string_n(code, &buffer, buffer.count)
                    first = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
            }
        }
        return first
    }
}
