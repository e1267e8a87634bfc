import DoormanCore
import Foundation

/// A deliberately small HTTP/1.1 client over a blocking TCP socket, so tests
/// can send exactly the bytes they mean (malformed headers included) and see
/// exactly what comes back, on one kept-alive connection.
///
/// Its blocking calls must not run on Swift's cooperative threads, which the
/// server under test needs: async tests use ``offThePool(_:)``.
final class RawHTTPClient: @unchecked Sendable {
    // @unchecked Sendable: a client is used by one thread at a time (the
    // tests hand it from one offThePool call to the next, never concurrently).
    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
    }

    private let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, host: String = "127.0.0.1", timeout: TimeInterval = 10) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            // Closed here only: self.fd is not set, so deinit (which would
            // close the number again, by then perhaps another test's file) does not run.
            close(fd)
            throw DoormanError(.unavailable, "cannot connect to \(host):\(port)")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends raw bytes.
    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            sent += count
        }
    }

    /// A GET with optional Authorization (and any other) headers.
    func get(_ path: String, authorization: String? = nil, headers: [(String, String)] = []) throws -> Response {
        var request = "GET \(path) HTTP/1.1\r\nHost: localhost\r\n"
        if let authorization { request += "Authorization: \(authorization)\r\n" }
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        send(request + "\r\n")
        return try readResponse()
    }

    /// ``get(_:authorization:headers:)`` from async code, on a thread of its own.
    func fetch(_ path: String, authorization: String? = nil, headers: [(String, String)] = []) async throws -> Response {
        try await offThePool { try self.get(path, authorization: authorization, headers: headers) }
    }

    /// Sends raw bytes and reads one response, from async code.
    func exchange(_ raw: String, toHead: Bool = false) async throws -> Response {
        try await offThePool {
            self.send(raw)
            return try self.readResponse(toHead: toHead)
        }
    }

    /// Connects from async code.
    static func open(port: Int, timeout: TimeInterval = 10) async throws -> RawHTTPClient {
        try await offThePool { try RawHTTPClient(port: port, timeout: timeout) }
    }

    /// Reads one response (Content-Length framed; no body at all for a HEAD).
    func readResponse(toHead: Bool = false) throws -> Response {
        while true {
            if let end = headerEnd() {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
                    throw DoormanError(.database, "bad status line")
                }
                let headers = lines.compactMap { line -> (String, String)? in
                    guard let colon = line.firstIndex(of: ":") else { return nil }
                    return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                }
                let length = toHead ? 0 : headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
                while buffer.count < end + 4 + length {
                    guard try fill() else { throw DoormanError(.unavailable, "connection closed mid-body") }
                }
                let body = Array(buffer[(end + 4)..<(end + 4 + length)])
                buffer.removeFirst(end + 4 + length)
                return Response(status: status, headers: headers, body: body)
            }
            guard try fill() else { throw DoormanError(.unavailable, "connection closed before a response") }
        }
    }

    /// `true` when the server closed the connection (reads end of file).
    func isClosedByServer() -> Bool {
        (try? fill()) == false
    }

    /// ``isClosedByServer()`` from async code: `false` if the connection is still open after the read timeout.
    func closedByServer() async -> Bool {
        (try? await offThePool { self.isClosedByServer() }) ?? false
    }

    /// `true` if a byte arrives, or the connection closes, within `seconds`.
    func anythingWithin(seconds: Int) async -> Bool {
        (try? await offThePool { () -> Bool in
            var poller = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
            return poll(&poller, 1, Int32(seconds * 1_000)) > 0
        }) ?? true
    }

    private func headerEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4) where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 { throw DoormanError(.timeout, "read timed out") }
        if count == 0 { return false }
        buffer += chunk[..<count]
        return true
    }
}
