import DoormanCore
import DoormanHTTP
import DoormanStack
import Foundation
import Testing

/// `doorman serve` as a process: one line at start, answers like the seed, stops on a signal.
@Suite("doorman serve")
struct ServeCommandTests {
    @Test("starts, logs its address once, answers, and exits cleanly on SIGTERM and SIGINT", arguments: [SIGTERM, SIGINT])
    func serveAndStop(signal: Int32) async throws {
        let port = try FreePort.free()
        let log = TestServers.makeTemporaryDirectory(prefix: "doorman-test-serve") + "/serve.log"
        defer { try? FileManager.default.removeItem(atPath: (log as NSString).deletingLastPathComponent) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DoormanBinary.path)
        process.arguments = ["serve", "--port", String(port)] + DoormanBinary.serverFlags(redisDatabase: 5)
        process.environment = DoormanBinary.cleanEnvironment
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = output
        try process.run()

        var client: RawHTTPClient?
        let deadline = ContinuousClock.now + .seconds(30)
        while client == nil && ContinuousClock.now < deadline {
            client = try? await RawHTTPClient.open(port: port)
            if client == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let connected = try #require(client)
        let response = try await connected.fetch("/", authorization: BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD"))
        #expect(response.status == 200)
        #expect(response.json?["authenticated_by"] != nil)

        kill(process.processIdentifier, signal)
        let exited = try await offThePool { () -> Int32 in
            process.waitUntilExit()
            return process.terminationStatus
        }
        #expect(exited == 0)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let startLines = text.split(separator: "\n").filter { $0.contains("server listening on") || $0.contains("Server started") }
        #expect(startLines.count == 1, "\(text)")
        #expect(startLines.first?.contains("http://127.0.0.1:\(port)") == true)
        #expect(!text.contains("EXAMPLE_PASSWORD"))
    }

    @Test("a port in use is a clear error")
    func portInUse() async throws {
        let (blocker, port) = FreePort.bound()
        defer { close(blocker) }
        listen(blocker, 1)

        let result = try await DoormanBinary.run(["serve", "--port", String(port)] + DoormanBinary.serverFlags(redisDatabase: 5))
        #expect(result.status == 2)
        #expect(result.standardError.contains("cannot serve on 127.0.0.1:\(port): the address is already in use"))
    }
}

enum FreePort {
    /// A loopback port free right now.
    static func free() throws -> Int {
        let (fd, port) = bound()
        close(fd)
        return port
    }

    /// A socket bound to a free loopback port (the caller closes it), and the port.
    static func bound() -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
