import DoormanStack
import Foundation
import Synchronization

/// A TCP "black hole" on loopback: it accepts every connection and never
/// sends a byte, the way a hung host or a half-open connection looks from the
/// client's side. Connections stay open until ``close()``.
final class BlackHole: @unchecked Sendable {
    // @unchecked Sendable: `accepted` is guarded by `lock`; the listening
    // descriptor is written once in init and only read afterwards.
    private let listener: Int32
    private let lock = NSLock()
    private var accepted: [Int32] = []
    private let running = Atomic<Bool>(true)
    /// The port it listens on (127.0.0.1).
    let port: Int

    init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket failed")
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(bound == 0 && listen(fd, 128) == 0, "bind/listen failed")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        startAccepting()
    }

    private func startAccepting() {
        let accepter = Thread { [self] in
            while running.load(ordering: .acquiring) {
                var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 100) > 0 else { continue }
                let client = accept(listener, nil, nil)
                guard client >= 0 else { continue }
                lock.lock()
                accepted.append(client)
                lock.unlock()
            }
        }
        accepter.name = "black-hole"
        accepter.start()
    }

    /// How many connections it has swallowed so far.
    var connectionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return accepted.count
    }

    /// Stops accepting and closes every connection (clients then see EOF).
    func close() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        Thread.sleep(forTimeInterval: 0.15)  // the accept loop polls every 100 ms
        lock.lock()
        for fd in accepted { Glibc.close(fd) }
        accepted.removeAll()
        lock.unlock()
        Glibc.close(listener)
    }

    deinit { close() }
}

/// Freezes a test stack's servers with SIGSTOP and thaws them with SIGCONT,
/// as a hung host looks from outside: connections stay open, nothing answers.
enum Freezer {
    /// Stops every PostgreSQL process of `stack` (the postmaster and its children).
    @discardableResult
    static func freezePostgres(_ stack: EmbeddedStack) -> [Int32] {
        let pids = stack.postgresProcessIDs()
        precondition(!pids.isEmpty, "PostgreSQL is not running")
        for pid in pids { kill(pid, SIGSTOP) }
        return pids
    }

    /// Continues the processes ``freezePostgres(_:)`` stopped (and any started since).
    static func thawPostgres(_ stack: EmbeddedStack, _ frozen: [Int32]) {
        for pid in Set(frozen + stack.postgresProcessIDs()) { kill(pid, SIGCONT) }
    }

    /// Stops Redis.
    @discardableResult
    static func freezeRedis(_ stack: EmbeddedStack) -> Int32 {
        guard let pid = stack.redisProcessID() else { preconditionFailure("Redis is not running") }
        kill(pid, SIGSTOP)
        return pid
    }

    /// Continues Redis.
    static func thawRedis(_ pid: Int32) {
        kill(pid, SIGCONT)
    }
}

/// What the test process itself is using.
enum ProcessProbe {
    /// This process's thread count, from `/proc/self/status`.
    static var threadCount: Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Threads:") }) else { return -1 }
        return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? -1
    }
}
