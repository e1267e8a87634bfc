import DoormanCore
import Foundation

/// Runs the servers' helper programs (initdb, pg_ctl, redis-server) and
/// reports failures with the end of their output.
enum ProcessRunner {
    /// Finds an executable on `PATH` (plus the sbin directories, where `runuser` lives).
    static func find(_ name: String) -> String? {
        Subprocess.find(name)
    }

    /// Runs `executable` with `arguments`, as `user` when given (through
    /// `runuser`, when this process is root), and waits. Returns the combined
    /// output; throws `.stack` with the output's last lines on a non-zero exit.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], as user: String? = nil, what: String) throws -> String {
        var argv = [executable] + arguments
        if let user {
            guard let runuser = find("runuser") else {
                throw DoormanError(.stack, "\(what): runuser (util-linux) is needed to run it as the \(user) user")
            }
            argv = [runuser, "-u", user, "--"] + argv
        }
        // The servers must not pick up the caller's client settings.
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["LC_ALL"] = "C"
        let result: Subprocess.Result
        do {
            result = try Subprocess.run(argv, environment: environment, mergeOutput: true)
        } catch let error as DoormanError {
            throw DoormanError(.stack, "\(what): \(error.message)")
        }
        guard result.status == 0 else {
            let tail = result.standardOutput.split(whereSeparator: \.isNewline).suffix(4).joined(separator: " | ")
            throw DoormanError(.stack, "\(what) failed (status \(result.status))\(tail.isEmpty ? "" : ": \(tail)")")
        }
        return result.standardOutput
    }
}
