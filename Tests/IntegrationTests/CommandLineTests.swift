import DoormanCore
import Foundation
import Testing

/// The `doorman` binary against the test servers, as a user runs it.
@Suite("Command line")
struct CommandLineTests {
    @Test("login prints PostgreSQL the first time and Redis the second (password on stdin)")
    func loginTwice() async throws {
        let flags = DoormanBinary.serverFlags(redisDatabase: 1)
        _ = try await DoormanBinary.run(["cache", "flush", "john_doe"] + flags)
        let first = try await DoormanBinary.run(["login", "john_doe"] + flags, input: "EXAMPLE_PASSWORD\n")
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.hasPrefix("Authenticated by PostgreSQL Server (lookup "))
        #expect(first.standardOutput.contains(" ms, bcrypt "))
        let second = try await DoormanBinary.run(["login", "john_doe"] + flags, input: "EXAMPLE_PASSWORD\n")
        #expect(second.status == 0)
        #expect(second.standardOutput.hasPrefix("Authenticated by Redis Server (lookup "))
    }

    struct LoginInput: CustomTestStringConvertible, Sendable {
        let label: String
        let user: String
        let input: String
        var expected = "Authentication failed.\n"
        var testDescription: String { label }
    }

    @Test("a failed login prints 'Authentication failed.' and exits 1; input the rules refuse says why, as the UI does", arguments: [
        LoginInput(label: "wrong password", user: "john_doe", input: "wrong\n"),
        LoginInput(label: "unknown user", user: "no_such_user", input: "EXAMPLE_PASSWORD\n"),
        LoginInput(label: "empty password", user: "john_doe", input: "\n", expected: "Authentication failed: the password is empty.\n"),
        LoginInput(label: "no input", user: "john_doe", input: "", expected: "Authentication failed: no password on standard input.\n"),
        LoginInput(label: "100-byte password", user: "john_doe", input: String(repeating: "x", count: 100) + "\n",
                   expected: "Authentication failed: the password is longer than 72 bytes, which bcrypt would silently truncate.\n"),
        LoginInput(label: "10 KB paste", user: "john_doe", input: String(repeating: "x", count: 10_000), expected: "Authentication failed: the password is too long.\n"),
        LoginInput(label: "60-character username", user: String(repeating: "u", count: 60), input: "EXAMPLE_PASSWORD\n",
                   expected: "Authentication failed: the username is longer than 50 characters.\n"),
    ])
    func failedLogin(_ login: LoginInput) async throws {
        let result = try await DoormanBinary.run(["login", login.user] + DoormanBinary.serverFlags(redisDatabase: 2), input: login.input)
        #expect(result.status == 1)
        #expect(result.standardError == login.expected)
        #expect(!result.standardError.contains("EXAMPLE_PASSWORD") && !result.standardError.contains("uuuu"))
        #expect(result.standardOutput.isEmpty)
    }

    @Test("malformed URLs get one clear line and exit 64, without echoing secrets", arguments: [
        (["--redis-url", "http://user:s3cret@host"], "invalid Redis URL"),
        (["--redis-url", "redis://user:s3cret@host:99999"], "port"),
        (["--redis-url", "redis://user:s3cret@host/abc"], "database"),
        (["--database-url", "postgresql://user:s3cret@host:5432/db?nonsense=1"], "invalid database URL"),
        (["--database-url", "host=localhost password"], "invalid database URL"),
        (["--cache-ttl", "0"], "cache TTL"),
    ])
    func malformedURL(flags: [String], expected: String) async throws {
        let result = try await DoormanBinary.run(["login", "john_doe"] + flags, input: "EXAMPLE_PASSWORD\n")
        #expect(result.status == 64)
        #expect(result.standardError.hasPrefix("doorman: "))
        #expect(result.standardError.contains(expected))
        #expect(!result.standardError.contains("s3cret"))
        #expect(result.standardError.split(separator: "\n").count == 1)
    }

    @Test("an unreachable database exits 2 with a clear line")
    func unreachableDatabase() async throws {
        let result = try await DoormanBinary.run(
            ["login", "john_doe", "--database-url", "postgresql://doorman:s3cret@127.0.0.1:1/doorman?connect_timeout=2",
             "--redis-url", "redis://127.0.0.1:1"],
            input: "EXAMPLE_PASSWORD\n")
        #expect(result.status == 2)
        #expect(result.standardError.contains("unavailable"))
        #expect(!result.standardError.contains("s3cret"))
    }

    @Test("user add, passwd and del, with passwords from stdin; cache flush")
    func userLifecycle() async throws {
        let flags = DoormanBinary.serverFlags(redisDatabase: 3)
        let user = "cli_\(UUID().uuidString.prefix(8).lowercased())"
        let add = try await DoormanBinary.run(["user", "add", user, "--cost", "4"] + flags, input: "first pässword\n")
        #expect(add.status == 0, "\(add.standardError)")
        #expect(try await DoormanBinary.run(["user", "add", user] + flags, input: "again\n").status == 1)
        #expect(try await DoormanBinary.run(["login", user] + flags, input: "first pässword\n").standardOutput.contains("PostgreSQL"))
        #expect(try await DoormanBinary.run(["login", user] + flags, input: "first pässword\n").standardOutput.contains("Redis"))

        #expect(try await DoormanBinary.run(["user", "passwd", user, "--cost", "4"] + flags, input: "second password\n").status == 0)
        // The cached hash was dropped with the change: the new password goes to PostgreSQL, the old one fails.
        #expect(try await DoormanBinary.run(["login", user] + flags, input: "second password\n").standardOutput.contains("PostgreSQL"))
        #expect(try await DoormanBinary.run(["login", user] + flags, input: "first pässword\n").status == 1)

        let flush = try await DoormanBinary.run(["cache", "flush", user] + flags)
        #expect(flush.standardOutput == "flushed the cached hash of \(user)\n")
        #expect(try await DoormanBinary.run(["cache", "flush"] + flags).status == 0)

        #expect(try await DoormanBinary.run(["user", "del", user] + flags).status == 0)
        let gone = try await DoormanBinary.run(["user", "del", user] + flags)
        #expect(gone.status == 1)
        #expect(gone.standardError == "doorman: no user named '\(user)'\n")
        #expect(try await DoormanBinary.run(["login", user] + flags, input: "second password\n").status == 1)
    }

    @Test("user add prepares names as RFC 8265 does: an NFD twin is the same user, unusable names are refused with their rule")
    func userAddNames() async throws {
        let flags = DoormanBinary.serverFlags(redisDatabase: 3)
        let tag = UUID().uuidString.prefix(6).lowercased()
        let nfc = "jos\u{E9}_\(tag)", nfd = "jose\u{301}_\(tag)"
        let add = try await DoormanBinary.run(["user", "add", nfd, "--cost", "4"] + flags, input: "pa\u{A0}ss\n")
        #expect(add.status == 0, "\(add.standardError)")
        #expect(add.standardOutput == "added user \(nfc)\n", "stored in NFC")
        let twin = try await DoormanBinary.run(["user", "add", nfc, "--cost", "4"] + flags, input: "other\n")
        #expect(twin.status == 1)
        #expect(twin.standardError.contains("already exists"))
        // The NFD spelling logs in, and the password's no-break space is a space (OpaqueString).
        let login = try await DoormanBinary.run(["login", nfd] + flags, input: "pa ss\n")
        #expect(login.status == 0, "\(login.standardError)")
        for (name, rule) in [(" lead_\(tag)", "space"), ("col:on_\(tag)", "':'"), ("zw\u{200B}_\(tag)", "invisible"), ("\u{FB01}_\(tag)", "compatibility")] {
            let refused = try await DoormanBinary.run(["user", "add", name, "--cost", "4"] + flags, input: "pw\n")
            #expect(refused.status == 1, "\(name.unicodeScalars.map(\.value))")
            #expect(refused.standardError.contains(rule), "\(refused.standardError)")
        }
        _ = try await DoormanBinary.run(["user", "del", nfc] + flags)
    }

    @Test("user add refuses a password bcrypt would truncate, and one on no input")
    func userAddRefusals() async throws {
        let flags = DoormanBinary.serverFlags(redisDatabase: 3)
        let long = try await DoormanBinary.run(["user", "add", "cli_long"] + flags, input: String(repeating: "p", count: 73) + "\n")
        #expect(long.status == 1)
        #expect(long.standardError.contains("longer than 72 bytes"))
        let none = try await DoormanBinary.run(["user", "add", "cli_none"] + flags, input: "")
        #expect(none.status == 1)
        #expect(none.standardError.contains("no password"))
    }

    @Test("db init against a configured database reports what it applied")
    func databaseInit() async throws {
        let result = try await DoormanBinary.run(["db", "init"] + DoormanBinary.serverFlags(redisDatabase: 4))
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("up to date"))
    }

    @Test("doorman --help names the UI and its options; ui --help lists them")
    func rootHelp() async throws {
        let root = try await DoormanBinary.run(["--help"])
        #expect(root.status == 0)
        for word in ["ui", "--theme", "--remote", "--serve"] {
            #expect(root.standardOutput.contains(word), "\(word) missing from doorman --help:\n\(root.standardOutput)")
        }
        let ui = try await DoormanBinary.run(["ui", "--help"])
        #expect(ui.standardOutput.contains("--theme <name>"))
    }

    @Test("--help has real text for every command")
    func help() async throws {
        for command in [[], ["login"], ["db", "init"], ["user", "add"], ["cache", "flush"], ["stack", "up"]] {
            let result = try await DoormanBinary.run(command + ["--help"])
            #expect(result.status == 0)
            #expect(result.standardOutput.contains("USAGE: doorman"))
            #expect(result.standardOutput.contains("--database-url"))
        }
    }
}
