import DoormanCore
import DoormanStack
import Foundation

/// The built `doorman` executable, run as a user would run it.
enum DoormanBinary {
    /// `.build/debug/doorman` (or `$DOORMAN_BINARY`).
    static let path: String = {
        if let path = ProcessInfo.processInfo.environment["DOORMAN_BINARY"] { return path }
        let candidate = TestServers.packageRoot.appendingPathComponent(".build/debug/doorman").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            fatalError("\(candidate) is missing: run 'swift build' before the tests (make test does)")
        }
        return candidate
    }()

    /// The environment of this test process without any Doorman, Redis or
    /// libpq settings, so each test says exactly what it configures; except
    /// that stored hashes are not rehashed (`DOORMAN_REHASH=off`), so that one
    /// test's login does not change the hashes the others log in with.
    static var cleanEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !(key.hasPrefix("PG") || key.hasPrefix("DOORMAN_") || key == "DATABASE_URL" || key == "REDIS_URL")
        }
        environment["DOORMAN_REHASH"] = "off"
        return environment
    }

    /// Runs `doorman` with `arguments`, feeding `input` on standard input.
    /// Runs on a thread of its own: a test that waited for the process on a
    /// thread of Swift's cooperative pool (two here) would stall every other
    /// test's awaits for as long, and skew the timings the fault tests check.
    static func run(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) async throws -> Subprocess.Result {
        let command = [path] + arguments, input = input.map { Array($0.utf8) }, environment = cleanEnvironment.merging(environment) { $1 }
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Subprocess.run(command, input: input, environment: environment) })
            }
        }
    }

    /// The flags that point a command at the shared test servers, with a
    /// Redis database of its own (so that flushes do not touch other tests).
    static func serverFlags(redisDatabase: Int) -> [String] {
        // A Redis deadline far above the 250 ms default: the whole suite runs on two busy cores,
        // and these tests are about commands, not deadlines (the fault tests keep 250 ms).
        ["--database-url", TestServers.shared.databaseURL, "--redis-url", TestServers.shared.redisURL + "?db=\(redisDatabase)", "--redis-timeout", "2s"]
    }
}
