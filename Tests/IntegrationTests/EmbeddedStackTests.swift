import DoormanCore
import DoormanStack
import Foundation
import Testing

/// The embedded stack as users meet it: `doorman` with nothing configured.
@Suite("Embedded stack")
struct EmbeddedStackTests {
    @Test("with nothing configured, login starts the private servers, and stops them on exit")
    func loginOnEmbeddedStack() async throws {
        let state = TestServers.makeTemporaryDirectory(prefix: "doorman-test-embedded")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let environment = ["DOORMAN_STATE_DIR": state]

        let first = try await DoormanBinary.run(["login", "john_doe"], input: "EXAMPLE_PASSWORD\n", environment: environment)
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.hasPrefix("Authenticated by PostgreSQL Server"))
        // The last process to exit stopped the servers...
        let status = EmbeddedStack.status(StackConfiguration(stateDirectory: state))
        #expect(!status.postgresRunning && !status.redisRunning)
        // ...and the cache survived the restart.
        let second = try await DoormanBinary.run(["login", "john_doe"], input: "EXAMPLE_PASSWORD\n", environment: environment)
        #expect(second.standardOutput.hasPrefix("Authenticated by Redis Server"), "\(second.standardError)")
    }

    @Test("stack up keeps the servers running until stack down")
    func upStatusDown() async throws {
        let state = TestServers.makeTemporaryDirectory(prefix: "doorman-test-pinned")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let environment = ["DOORMAN_STATE_DIR": state]

        let up = try await DoormanBinary.run(["stack", "up"], environment: environment)
        #expect(up.status == 0, "\(up.standardError)")
        #expect(up.standardOutput.contains("DATABASE_URL='postgresql:///doorman?host="))
        #expect(up.standardOutput.contains("REDIS_URL='unix://"))

        // A command in between does not stop a pinned stack.
        #expect(try await DoormanBinary.run(["login", "mary_smith"], input: "EXAMPLE_PASSWORD_2\n", environment: environment).status == 0)
        let status = try await DoormanBinary.run(["stack", "status"], environment: environment)
        #expect(status.status == 0)
        #expect(status.standardOutput.contains("PostgreSQL:      running"))
        #expect(status.standardOutput.contains("Redis:           running"))

        #expect(try await DoormanBinary.run(["stack", "down"], environment: environment).status == 0)
        let after = try await DoormanBinary.run(["stack", "status"], environment: environment)
        #expect(after.status == 3)
        #expect(after.standardOutput.contains("PostgreSQL:      stopped"))
    }

    @Test("a relative state directory is refused clearly")
    func relativeStateDirectory() async throws {
        let result = try await DoormanBinary.run(["login", "john_doe", "--state-dir", "relative/dir"], input: "x\n")
        #expect(result.status == 64)
        #expect(result.standardError == "doorman: the state directory must be an absolute path, not 'relative/dir'\n")
    }

    @Test("two processes attached to one stack: it runs until the last one leaves")
    func sharedByTwo() async throws {
        let state = TestServers.makeTemporaryDirectory(prefix: "doorman-test-two")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let configuration = StackConfiguration(stateDirectory: state, durable: false)
        let first = try EmbeddedStack.attach(configuration, migrations: TestServers.migrations)
        // A second process (the binary) attaches and detaches: the stack keeps running.
        let login = try await DoormanBinary.run(["login", "john_doe"], input: "EXAMPLE_PASSWORD\n", environment: ["DOORMAN_STATE_DIR": state])
        #expect(login.status == 0)
        #expect(EmbeddedStack.status(configuration).postgresRunning)
        first.detach()
        #expect(!EmbeddedStack.status(configuration).postgresRunning)
    }
}
