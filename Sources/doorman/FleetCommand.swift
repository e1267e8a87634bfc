import ArgumentParser
import DoormanCore
import DoormanRedis
import DoormanRuntime
import Foundation
import Logging

/// `doorman fleet`: the `doorman serve` instances that share this Redis.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "List the doorman serve instances that publish to this Redis, with their live counts.",
        discussion: """
        Every instance of doorman serve writes its counts to Redis each second (doorman:fleet:<instance>, \
        kept 5 s): an instance that stops or dies leaves the list within seconds. Columns: logins by the \
        store that answered (Redis, PostgreSQL, the in-memory tier), failed logins, the Redis hit ratio, \
        and when the instance last published.
        """
    )

    @Flag(help: "Print JSON (an array of instances) instead of a table.")
    var json = false

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await runReportingErrorsAsync(options) { settings in
            let members: [FleetMember]
            switch settings.cache {
            case .disabled:
                throw DoormanError(.configuration, "the fleet view lives in Redis: drop --no-cache")
            case .url(let endpoint):
                // Redis alone: no need to attach to (or start) an embedded PostgreSQL.
                let redis = try RedisGateway(configuration: RedisConfiguration(
                    endpoint: endpoint, commandTimeout: settings.redisTimeout, caCertificateFile: settings.redisCACertificateFile),
                    logger: Logger(label: "doorman.redis"))
                do {
                    members = try await redis.fleet()
                } catch {
                    await redis.shutdown()
                    throw error
                }
                await redis.shutdown()
            case .embedded:
                var found: [FleetMember] = []
                try await withRuntime(settings) { runtime in found = try await runtime.redis?.fleet() ?? [] }
                members = found
            }
            if json {
                print(try Self.json(members))
            } else {
                print(Self.table(members), terminator: "")
            }
        }
    }

    /// The members as JSON, one array, keys sorted.
    static func json(_ members: [FleetMember]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(members), as: UTF8.self)
    }

    /// The members as a table, one line each, columns aligned.
    static func table(_ members: [FleetMember], now: Date = Date()) -> String {
        guard !members.isEmpty else { return "no instance published to this Redis in the last few seconds\n" }
        let header = ["INSTANCE", "REDIS", "POSTGRES", "MEMORY", "FAILED", "HIT RATIO", "LAST SEEN"]
        let rows = members.map { member in
            [member.instance, String(member.logins[.redis, default: 0]), String(member.logins[.postgres, default: 0]),
             String(member.logins[.memory, default: 0]), String(member.failures), member.hitRatioDescription,
             member.lastSeenDescription(now: now)]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 || column == cells.count - 1 ? cell + pad : pad + cell
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
        }
        return ([header] + rows).map(line).joined()
    }
}
