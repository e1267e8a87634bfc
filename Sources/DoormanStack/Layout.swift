import DoormanCore
import Foundation

/// A system account a server runs as when Doorman runs as root.
struct ServerAccount: Sendable {
    let name: String
    let uid: uid_t
    let gid: gid_t

    static func named(_ name: String) -> ServerAccount? {
        guard let entry = getpwnam(name) else { return nil }
        return ServerAccount(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }
}

/// The files of an embedded stack under its state directory:
///
/// ```
/// <state>/stack.lock        flock(2) held while starting, stopping, (un)registering
/// <state>/stack.json        the ports the servers were started with
/// <state>/pinned            present after `doorman stack up`
/// <state>/clients/<pid>     one per Doorman process using the stack
/// <state>/postgres/data     PostgreSQL's cluster (owned by `postgres` when root)
/// <state>/postgres/run      its unix socket
/// <state>/postgres/server.log
/// <state>/postgres/tls/     server.crt, server.key when TLS is on (owned by `postgres` when root)
/// <state>/redis/            redis.conf, redis.sock, redis.pid, redis.log (owned by `redis` when root)
/// <state>/redis/tls/        server.crt, server.key, ca.crt when TLS is on
/// ```
struct Layout: Sendable {
    static let defaultPostgresPort = 5432
    static let databaseName = "doorman"
    static let databaseUser = "doorman"

    let root: String
    /// The account PostgreSQL runs as, when this process is root.
    let postgresAccount: ServerAccount?
    /// The account Redis runs as, when this process is root.
    let redisAccount: ServerAccount?

    var postgresDirectory: String { root + "/postgres" }
    var postgresData: String { postgresDirectory + "/data" }
    var postgresRun: String { postgresDirectory + "/run" }
    var postgresLog: String { postgresDirectory + "/server.log" }
    var postgresTLS: String { postgresDirectory + "/tls" }
    var redisDirectory: String { root + "/redis" }
    var redisSocket: String { redisDirectory + "/redis.sock" }
    var redisConfig: String { redisDirectory + "/redis.conf" }
    var redisPidFile: String { redisDirectory + "/redis.pid" }
    var redisLog: String { redisDirectory + "/redis.log" }
    var redisTLS: String { redisDirectory + "/tls" }
    var clientsDirectory: String { root + "/clients" }
    var lockFile: String { root + "/stack.lock" }
    var endpointsFile: String { root + "/stack.json" }
    var pinFile: String { root + "/pinned" }

    init(_ configuration: StackConfiguration, create: Bool = true) throws {
        let path = configuration.stateDirectory
        guard path.hasPrefix("/") else {
            throw DoormanError(.configuration, "the state directory must be an absolute path, not '\(path)'")
        }
        root = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if geteuid() == 0 {
            guard let postgres = ServerAccount.named("postgres") else {
                throw DoormanError(.stack, "PostgreSQL refuses to run as root and there is no 'postgres' user to run it as; install Debian's postgresql package or run Doorman as another user")
            }
            postgresAccount = postgres
            redisAccount = ServerAccount.named("redis") ?? postgres
        } else {
            postgresAccount = nil
            redisAccount = nil
        }
        let socketPath = postgresRun + "/.s.PGSQL.65535"
        guard socketPath.utf8.count < 104 else {
            throw DoormanError(.configuration, "the state directory \(root) is too long for unix socket paths (104 bytes); choose a shorter one with --state-dir")
        }
        guard create else {
            guard FileManager.default.fileExists(atPath: root) else {
                throw DoormanError(.stack, "no embedded stack under \(root)")
            }
            return
        }
        // When root, the servers' accounts must be able to enter the state directory.
        try makeDirectory(root, mode: postgresAccount == nil ? 0o700 : 0o711, owner: nil)
        if let account = postgresAccount { try checkReachable(root, by: account) }
        try makeDirectory(clientsDirectory, mode: 0o700, owner: nil)
        try makeDirectory(postgresDirectory, mode: 0o700, owner: postgresAccount)
        try makeDirectory(postgresRun, mode: 0o700, owner: postgresAccount)
        try makeDirectory(redisDirectory, mode: 0o700, owner: redisAccount)
    }

    /// Runs `body` holding an exclusive `flock` on the stack's lock file, so
    /// that two processes never start or stop the servers at once.
    func withLock<T>(_ body: () throws -> T) throws -> T {
        let fd = open(lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DoormanError(.stack, "cannot open \(lockFile): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw DoormanError(.stack, "cannot lock \(lockFile)") }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    // MARK: Clients and pinning

    func registerClient(_ pid: Int32) throws {
        guard FileManager.default.createFile(atPath: clientsDirectory + "/\(pid)", contents: Data()) else {
            throw DoormanError(.stack, "cannot write \(clientsDirectory)/\(pid)")
        }
    }

    func unregisterClient(_ pid: Int32) {
        unlink(clientsDirectory + "/\(pid)")
    }

    func clearClients() {
        for pid in (try? FileManager.default.contentsOfDirectory(atPath: clientsDirectory)) ?? [] {
            unlink(clientsDirectory + "/" + pid)
        }
    }

    /// Registered clients whose process is still alive; entries of dead ones are removed.
    func liveClients() -> [Int32] {
        var live: [Int32] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: clientsDirectory)) ?? [] {
            guard let pid = Int32(name) else { continue }
            if processIsAlive(pid) { live.append(pid) } else { unlink(clientsDirectory + "/" + name) }
        }
        return live.sorted()
    }

    var isPinned: Bool { FileManager.default.fileExists(atPath: pinFile) }

    func setPinned(_ pinned: Bool) throws {
        if pinned {
            guard FileManager.default.createFile(atPath: pinFile, contents: Data("pinned by doorman stack up\n".utf8)) else {
                throw DoormanError(.stack, "cannot write \(pinFile)")
            }
        } else {
            unlink(pinFile)
        }
    }

    // MARK: Endpoints

    func savedEndpoints() -> EmbeddedStack.Endpoints? {
        guard let data = FileManager.default.contents(atPath: endpointsFile) else { return nil }
        return try? JSONDecoder().decode(EmbeddedStack.Endpoints.self, from: data)
    }

    func saveEndpoints(_ endpoints: EmbeddedStack.Endpoints) throws {
        let data = try JSONEncoder().encode(endpoints)
        guard FileManager.default.createFile(atPath: endpointsFile, contents: data) else {
            throw DoormanError(.stack, "cannot write \(endpointsFile)")
        }
    }

    func databaseURL(_ endpoints: EmbeddedStack.Endpoints, database: String = Layout.databaseName) -> String {
        "postgresql:///\(database)?host=\(percentEncode(postgresRun))&port=\(endpoints.postgresPort)&user=\(Layout.databaseUser)"
    }

    var redisURL: String {
        "unix://" + redisSocket.split(separator: "/", omittingEmptySubsequences: false).map { percentEncode(String($0)) }.joined(separator: "/")
    }

    // MARK: Files

    func makeDirectory(_ path: String, mode: mode_t, owner: ServerAccount?) throws {
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw DoormanError(.stack, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        chmod(path, mode)
        if let owner { try changeOwner(path, to: owner) }
    }

    func changeOwner(_ path: String, to account: ServerAccount) throws {
        guard chown(path, account.uid, account.gid) == 0 else {
            throw DoormanError(.stack, "cannot give \(path) to the \(account.name) user: \(String(cString: strerror(errno)))")
        }
    }

    /// Writes a file the server account can read.
    func writeFile(_ path: String, _ text: String, owner: ServerAccount?) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw DoormanError(.stack, "cannot write \(path)")
        }
        if let owner { try changeOwner(path, to: owner) }
    }

    /// Copies the TLS files into `directory` (created for `owner`, mode 0700)
    /// as `server.crt`, `server.key` and `ca.crt`, each mode 0600 and owned
    /// by `owner`. Returns the copies' paths.
    func installTLS(_ tls: StackTLS, into directory: String, owner: ServerAccount?) throws -> StackTLS {
        try makeDirectory(directory, mode: 0o700, owner: owner)
        func copy(_ source: String, _ name: String) throws -> String {
            guard let data = FileManager.default.contents(atPath: source) else {
                throw DoormanError(.configuration, "cannot read the TLS file \(source)")
            }
            let target = directory + "/" + name
            unlink(target)
            guard FileManager.default.createFile(atPath: target, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw DoormanError(.stack, "cannot write \(target)")
            }
            if let owner { try changeOwner(target, to: owner) }
            return target
        }
        return StackTLS(
            certificateFile: try copy(tls.certificateFile, "server.crt"),
            keyFile: try copy(tls.keyFile, "server.key"),
            caFile: try tls.caFile.map { try copy($0, "ca.crt") })
    }

    /// Throws unless every directory above `path` lets `account` through
    /// (`/root` is mode 700, for one).
    private func checkReachable(_ path: String, by account: ServerAccount) throws {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            var info = stat()
            guard stat(current, &info) == 0 else { continue }
            let mode = info.st_mode
            let passable = (mode & S_IXOTH) != 0
                || (info.st_uid == account.uid && (mode & S_IXUSR) != 0)
                || (info.st_gid == account.gid && (mode & S_IXGRP) != 0)
            if !passable {
                throw DoormanError(.configuration, "PostgreSQL runs as the \(account.name) user, which cannot enter \(current); choose a state directory it can reach with --state-dir or DOORMAN_STATE_DIR (as root the default is /var/lib/doorman)")
            }
        }
    }
}

/// `true` when a process with this id exists and has not exited (a zombie
/// that nobody reaped yet counts as gone).
func processIsAlive(_ pid: Int32) -> Bool {
    guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let end = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(after: end)...].trimmingCharacters(in: .whitespaces).first
    return state != "Z" && state != "X"
}

/// Percent-encodes everything but unreserved URL characters.
func percentEncode(_ text: String) -> String {
    var encoded = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            encoded.append(Character(Unicode.Scalar(byte)))
        default:
            let hex = String(byte, radix: 16, uppercase: true)
            encoded += "%" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return encoded
}
