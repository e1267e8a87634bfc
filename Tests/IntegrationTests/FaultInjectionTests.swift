import DoormanCore
import DoormanRedis
import Foundation
import Testing

/// The fault tests' own tools do what they claim.
@Suite("Fault injection")
struct FaultInjectionTests {
    @Test("the black hole accepts connections and never answers")
    func blackHoleSwallows() async throws {
        let hole = BlackHole()
        defer { hole.close() }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(hole.port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        _ = "PING\r\n".withCString { write(fd, $0, 6) }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&poller, 1, 300) == 0, "nothing to read")
        #expect(await TestServers.eventually(timeout: .seconds(2)) { hole.connectionCount == 1 })
    }

    @Test("a frozen Redis answers nothing until it is thawed; PostgreSQL's processes are all found")
    func freezeAndThaw() async throws {
        let stack = await TestServers.start(name: "freezer")
        defer { TestServers.stop(stack) }
        #expect(stack.postgresProcessIDs().count >= 3, "the postmaster and its background processes")
        let redis = try RedisGateway(configuration: RedisConfiguration(endpoint: try RedisEndpoint(url: stack.redisURL), commandTimeout: .milliseconds(200)))
        try await redis.ping()
        let pid = Freezer.freezeRedis(stack)
        redis.reset()
        await #expect(throws: DoormanError.self) { try await redis.ping() }
        Freezer.thawRedis(pid)
        redis.reset()
        try await redis.ping()
    }
}
