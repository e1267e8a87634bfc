import DoormanCore
import Foundation

/// Runs a program to completion with `posix_spawn` and `waitpid`.
///
/// Standard input comes from a byte string (or `/dev/null`); standard output
/// and standard error go to unlinked temporary files, not pipes, so a daemon
/// the program leaves behind cannot make reading them hang. The child starts
/// with no signals blocked and default dispositions, whatever the calling
/// thread had (dispatch's worker threads block every signal).
public enum Subprocess {
    /// How a program ended.
    public struct Result: Sendable {
        /// The exit code, or 128 + the signal number if a signal ended it.
        public var status: Int32
        /// What it wrote to standard output.
        public var standardOutput: String
        /// What it wrote to standard error (empty when merged into standard output).
        public var standardError: String
    }

    /// Finds an executable on `PATH` (plus the sbin directories).
    public static func find(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `arguments[0]` (a path) with the rest as its arguments and waits.
    ///
    /// - Parameters:
    ///   - input: bytes for standard input; `/dev/null` when `nil`.
    ///   - environment: the child's whole environment.
    ///   - mergeOutput: send standard error to standard output.
    public static func run(
        _ arguments: [String],
        input: [UInt8]? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        mergeOutput: Bool = false
    ) throws -> Result {
        precondition(!arguments.isEmpty, "no program to run")
        let outputFD = try temporaryFile()
        defer { close(outputFD) }
        let errorFD = mergeOutput ? outputFD : try temporaryFile()
        defer { if !mergeOutput { close(errorFD) } }
        var inputFD: Int32 = -1
        if let input {
            inputFD = try temporaryFile()
            _ = input.withUnsafeBytes { write(inputFD, $0.baseAddress, $0.count) }
            lseek(inputFD, 0, SEEK_SET)
        }
        defer { if inputFD >= 0 { close(inputFD) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if inputFD >= 0 {
            posix_spawn_file_actions_adddup2(&actions, inputFD, STDIN_FILENO)
        } else {
            posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outputFD, STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, errorFD, STDERR_FILENO)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let environ = environment.map { "\($0.key)=\($0.value)" }
        let spawned = withCStringArray(arguments) { argv in
            withCStringArray(environ) { envp in
                posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
            }
        }
        guard spawned == 0 else {
            throw DoormanError(.unavailable, "cannot run \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw DoormanError(.unavailable, "lost track of process \(pid) (\(arguments[0]))") }
        }
        let exited = (status & 0x7f) == 0
        return Result(
            status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f),
            standardOutput: readAll(outputFD),
            standardError: mergeOutput ? "" : readAll(errorFD)
        )
    }

    private static func temporaryFile() throws -> Int32 {
        var template = Array((NSTemporaryDirectory() + "/doorman-XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw DoormanError(.unavailable, "cannot create a temporary file") }
        // Not inherited by children spawned by other threads meanwhile.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return fd
    }

    private static func readAll(_ fd: Int32) -> String {
        lseek(fd, 0, SEEK_SET)
        return String(decoding: FileHandle(fileDescriptor: fd, closeOnDealloc: false).readDataToEndOfFile(), as: UTF8.self)
    }
}
