import DoormanCore
import Foundation

extension RedisConfiguration {
    /// The prefix of the fleet view's hashes: `<namespace>:fleet:`, one per
    /// instance (`doorman:fleet:doorman-1`).
    public var fleetKeyPrefix: String { namespace + ":fleet:" }
}

extension RedisGateway {
    /// Publishes `member` as the hash `<namespace>:fleet:<instance>`,
    /// replacing what was there, expiring `ttl` from now: `DEL`, `HSET` of
    /// every field and `PEXPIRE`, in one `MULTI`/`EXEC` round trip with the
    /// usual deadline. A reader never sees a hash without its expiry.
    public func publish(_ member: FleetMember, ttl: Duration) async throws {
        let key = Array((configuration.fleetKeyPrefix + member.instance).utf8)
        let replies = try await pipeline([
            [Array("MULTI".utf8)],
            [Array("DEL".utf8), key],
            [Array("HSET".utf8), key] + member.fields.flatMap { [Array($0.0.utf8), Array($0.1.utf8)] },
            [Array("PEXPIRE".utf8), key, Self.milliseconds(ttl)],
            [Array("EXEC".utf8)],
        ])
        if let error = replies.lazy.compactMap({ if case .error(let message) = $0 { message } else { nil } }).first {
            throw DoormanError(.database, "Redis: \(error)")
        }
        guard case .array(let results) = replies[4], results.count == 3 else {
            throw DoormanError(.database, "Redis: unexpected reply to EXEC")
        }
    }

    /// Removes `instance`'s hash at once (an instance that stops cleanly). Wraps `DEL`.
    public func withdraw(instance: String) async throws {
        try await delete([Array((configuration.fleetKeyPrefix + instance).utf8)])
    }

    /// Every instance that published within its time to live, by name:
    /// `SCAN … MATCH <namespace>:fleet:*`, then one pipelined round of
    /// `HGETALL` per batch. Hashes that are not a fleet member's are skipped.
    public func fleet() async throws -> [FleetMember] {
        var members: [FleetMember] = []
        for (_, fields) in try await hashes(prefix: Array(configuration.fleetKeyPrefix.utf8)) {
            if let member = FleetMember(fields: fields) { members.append(member) }
        }
        return FleetMember.sorted(members)
    }

    /// Every hash whose key starts with `prefix`, with its fields as text:
    /// `SCAN … MATCH prefix*` and pipelined `HGETALL`s. A key that expired
    /// since the scan saw it, or that holds another type, is left out.
    public func hashes(prefix: [UInt8], limit: Int = 10_000) async throws -> [(key: [UInt8], fields: [String: String])] {
        var found: [(key: [UInt8], fields: [String: String])] = []
        try await scan(prefix: prefix) { names in
            let replies = try await self.pipeline(names.map { [Array("HGETALL".utf8), $0] })
            for (name, reply) in zip(names, replies) {
                guard case .array(let items) = reply, !items.isEmpty, items.count % 2 == 0 else { continue }
                var fields: [String: String] = [:]
                for index in stride(from: 0, to: items.count, by: 2) {
                    if let field = items[index].text, let value = items[index + 1].text { fields[field] = value }
                }
                found.append((key: name, fields: fields))
            }
            return found.count < limit
        }
        return found
    }
}
