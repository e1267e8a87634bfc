internal import COpenSSL
import DoormanCore
import Foundation

/// Why a socket or TLS operation failed, in words fit for an error message
/// (never a secret: only OpenSSL's and the kernel's reasons).
struct TransportFailure: Error {
    /// What failed, e.g. "TLS handshake failed: certificate verify failed: hostname mismatch".
    var reason: String
    /// `true` when the failure is a timeout rather than an error.
    var timedOut: Bool = false
}

/// A connected, blocking TCP socket. Owns the descriptor and closes it in `deinit`.
final class TCPSocket {
    let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Resolves `host` and connects to the first address that answers within
    /// `timeout` (for all addresses together). Wraps `getaddrinfo` and a
    /// non-blocking `connect` waited on with `poll`; the socket is blocking
    /// again afterwards, with `TCP_NODELAY`.
    static func connect(host: String, port: Int, timeout: Duration) throws -> TCPSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &found)
        guard status == 0, let found else {
            throw TransportFailure(reason: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(found) }

        let deadline = ContinuousClock.now + timeout
        var lastFailure = TransportFailure(reason: "no address for \(host)")
        var cursor: UnsafeMutablePointer<addrinfo>? = found
        while let address = cursor {
            cursor = address.pointee.ai_next
            let descriptor = socket(address.pointee.ai_family, address.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), address.pointee.ai_protocol)
            guard descriptor >= 0 else {
                lastFailure = TransportFailure(reason: String(cString: strerror(errno)))
                continue
            }
            let socket = TCPSocket(descriptor: descriptor)
            do {
                try socket.connect(to: address.pointee.ai_addr, length: address.pointee.ai_addrlen, deadline: deadline)
                return socket
            } catch let failure as TransportFailure {
                lastFailure = failure
                if failure.timedOut { break }
            }
        }
        throw lastFailure
    }

    private func connect(to address: UnsafeMutablePointer<sockaddr>, length: socklen_t, deadline: ContinuousClock.Instant) throws {
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        if Glibc.connect(descriptor, address, length) != 0 {
            guard errno == EINPROGRESS else { throw TransportFailure(reason: String(cString: strerror(errno))) }
            while true {
                let remaining = deadline - .now
                guard remaining > .zero else { throw TransportFailure(reason: "connection timed out", timedOut: true) }
                var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&poller, 1, Int32(clamping: max(1, Int((remaining.seconds * 1000).rounded(.up)))))
                if ready < 0 && errno == EINTR { continue }
                guard ready > 0 else { throw TransportFailure(reason: "connection timed out", timedOut: true) }
                break
            }
            var error: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &size)
            guard error == 0 else { throw TransportFailure(reason: String(cString: strerror(error))) }
        }
        _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK)
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// How long one `read`/`write` may block (`SO_RCVTIMEO`, `SO_SNDTIMEO`);
    /// past it the call fails with `EAGAIN`.
    func setTimeout(_ duration: Duration) {
        var value = timeval(duration)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }
}

/// One OpenSSL `SSL` session. Owns it and frees it in `deinit` (`SSL_free`,
/// which does not close the socket: ``TCPSocket`` does that).
final class TLSSession {
    let handle: OpaquePointer

    /// Wraps `SSL_new`; the session holds a reference to the context.
    init(context: TLSClientContext) throws {
        ERR_clear_error()
        guard let made = SSL_new(context.handle) else {
            throw TransportFailure(reason: "cannot create a TLS session: \(TLSErrorQueue.drain() ?? "out of memory")")
        }
        handle = made
    }

    deinit {
        SSL_free(handle)
    }
}

/// A TLS client stream over a blocking TCP socket: connect with a timeout,
/// handshake with the server's certificate verified against the context's CAs
/// and the host name (or IP address) from the URL, then blocking reads and
/// writes that give up after the I/O timeout.
///
/// Any failure leaves the stream unusable. Not thread-safe: one thread at a time.
final class TLSStream {
    private let socket: TCPSocket
    private let session: TLSSession
    private var established = false
    private(set) var failed = false

    /// Connects and completes the handshake. `connectTimeout` bounds the TCP
    /// connect (all addresses together) and each read or write of the
    /// handshake; `ioTimeout` bounds each read and write afterwards.
    ///
    /// Wraps `SSL_set1_host` and `SSL_set_tlsext_host_name` (host names) or
    /// `X509_VERIFY_PARAM_set1_ip_asc` (IP literals), `SSL_set_fd`, `SSL_connect`.
    init(host: String, port: Int, context: TLSClientContext, connectTimeout: Duration, ioTimeout: Duration) throws {
        socket = try TCPSocket.connect(host: host, port: port, timeout: connectTimeout)
        socket.setTimeout(connectTimeout)
        session = try TLSSession(context: context)
        let ssl = session.handle
        ERR_clear_error()
        switch TLSPeerName(host: host) {
        case .ipAddress(let address):
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), address) == 1 else {
                throw TransportFailure(reason: "cannot verify against the address \(address): \(TLSErrorQueue.drain() ?? "invalid address")")
            }
        case .dnsName(let name):
            SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            guard SSL_set1_host(ssl, name) == 1, doorman_ssl_set_server_name(ssl, name) == 1 else {
                throw TransportFailure(reason: "cannot verify against the host name \(name): \(TLSErrorQueue.drain() ?? "invalid name")")
            }
        }
        guard SSL_set_fd(ssl, socket.descriptor) == 1 else {
            throw TransportFailure(reason: "cannot attach TLS to the socket: \(TLSErrorQueue.drain() ?? "unknown error")")
        }
        ERR_clear_error()
        errno = 0
        let result = SSL_connect(ssl)
        guard result == 1 else {
            failed = true
            let failure = describe(result, doing: "TLS handshake")
            throw TransportFailure(reason: failure.reason, timedOut: failure.timedOut)
        }
        established = true
        socket.setTimeout(ioTimeout)
    }

    deinit {
        // Say goodbye (close_notify) on a healthy stream; never after an
        // error, as OpenSSL asks. Does not wait for the server's answer.
        if established && !failed {
            ERR_clear_error()
            _ = SSL_shutdown(session.handle)
            ERR_clear_error()
        }
    }

    /// The protocol agreed on, e.g. `TLSv1.3`. Wraps `SSL_get_version`.
    var protocolVersion: String {
        String(cString: SSL_get_version(session.handle))
    }

    /// Writes all of `bytes`. Wraps `SSL_write`.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            errno = 0
            let chunk = Int32(clamping: bytes.count - offset)
            let written = SSL_write(session.handle, base + offset, chunk)
            guard written > 0 else {
                failed = true
                throw describe(written, doing: "sending to the server")
            }
            offset += Int(written)
        }
    }

    /// Reads what is available (at least one byte), waiting up to the I/O
    /// timeout. Wraps `SSL_read`.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        ERR_clear_error()
        errno = 0
        let count = SSL_read(session.handle, buffer.baseAddress, Int32(clamping: buffer.count))
        guard count > 0 else {
            failed = true
            throw describe(count, doing: "reading from the server")
        }
        return Int(count)
    }

    /// Turns a failed `SSL_*` call into words. Wraps `SSL_get_error`,
    /// `SSL_get_verify_result` and `X509_verify_cert_error_string`.
    private func describe(_ result: Int32, doing what: String) -> TransportFailure {
        let savedErrno = errno
        let ssl = session.handle
        // SSL_get_error reads the error queue: ask it before draining the queue.
        let code = SSL_get_error(ssl, result)
        let queued = TLSErrorQueue.drain()
        switch code {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            // A blocking socket only asks to retry when SO_RCVTIMEO/SO_SNDTIMEO expired.
            return TransportFailure(reason: what == "TLS handshake" ? "TLS handshake timed out" : "timed out waiting for a reply", timedOut: true)
        case SSL_ERROR_ZERO_RETURN:
            return TransportFailure(reason: "\(what) failed: the server closed the TLS connection")
        case SSL_ERROR_SYSCALL:
            if let queued { return TransportFailure(reason: "\(what) failed: \(queued)") }
            if savedErrno == EAGAIN || savedErrno == EWOULDBLOCK {
                return TransportFailure(reason: what == "TLS handshake" ? "TLS handshake timed out" : "timed out waiting for a reply", timedOut: true)
            }
            if savedErrno == 0 { return TransportFailure(reason: "\(what) failed: the server closed the connection") }
            return TransportFailure(reason: "\(what) failed: \(String(cString: strerror(savedErrno)))")
        default:
            let verify = SSL_get_verify_result(ssl)
            if verify != Int(X509_V_OK) {
                return TransportFailure(reason: "\(what) failed: certificate verify failed: \(String(cString: X509_verify_cert_error_string(verify)))")
            }
            var reason = queued ?? "TLS error"
            if reason == "wrong version number" || reason == "packet length too long" || reason == "record layer failure" {
                reason += " (is this port speaking TLS?)"
            }
            if reason == "unexpected eof while reading" {
                reason = "the server closed the connection"
            }
            return TransportFailure(reason: "\(what) failed: \(reason)")
        }
    }
}
