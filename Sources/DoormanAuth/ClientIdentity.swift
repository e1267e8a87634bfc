import Foundation

/// Who is trying to log in, for throttling: an HTTP client's address, or this
/// machine's terminal.
///
/// One address is one client whatever listener it came through: an
/// IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a `::` listener sees
/// of an IPv4 client) counts as its IPv4 address. IPv6 clients count per /64
/// (one customer's network hands out a whole /64), IPv4 clients per address.
public struct ClientIdentity: Sendable, Hashable, CustomStringConvertible {
    /// A stable text form, e.g. `ip:203.0.113.9`, `ip:2001:db8:1:2::/64`, `local`.
    public let value: String

    /// The terminal UI and the command line on this machine.
    public static let local = ClientIdentity(value: "local")

    /// An HTTP client by address; text that is no address counts as itself.
    public static func address(_ text: String) -> ClientIdentity {
        guard let parsed = IPAddress(text) else { return ClientIdentity(value: "ip:" + text) }
        return address(parsed)
    }

    /// An HTTP client by address.
    public static func address(_ address: IPAddress) -> ClientIdentity {
        switch address.unmapped {
        case .v4(let bytes):
            var text = "ip:"
            for (index, byte) in bytes.enumerated() {
                if index > 0 { text += "." }
                text += String(byte)
            }
            return ClientIdentity(value: text)
        case .v6(let bytes):
            let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            return ClientIdentity(value: "ip:\(groups.joined(separator: ":"))::/64")
        }
    }

    private init(value: String) { self.value = value }

    public var description: String { value }
}

/// An IPv4 or IPv6 address, parsed by `inet_pton` (an IPv6 zone, `%eth0`, is dropped).
public enum IPAddress: Sendable, Hashable {
    case v4([UInt8])
    case v6([UInt8])

    public init?(_ text: String) {
        var text = Substring(text)
        if let zone = text.firstIndex(of: "%") { text = text[..<zone] }
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, String(text), &v4) == 1 {
            self = .v4(withUnsafeBytes(of: &v4) { Array($0) })
        } else if inet_pton(AF_INET6, String(text), &v6) == 1 {
            self = .v6(withUnsafeBytes(of: &v6) { Array($0) })
        } else {
            return nil
        }
    }

    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address it is.
    public var unmapped: IPAddress {
        if case .v6(let bytes) = self, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return .v4(Array(bytes[12...]))
        }
        return self
    }

    var bytes: [UInt8] {
        switch self {
        case .v4(let bytes), .v6(let bytes): bytes
        }
    }
}

/// A block of addresses, `192.0.2.0/24` or `2001:db8::/32` (a bare address is
/// a block of one), e.g. the load balancers trusted to say who the client is.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int
    public let description: String

    /// Parses `ADDRESS[/BITS]`; `nil` when either part is malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0]))?.unmapped else { return nil }
        let maximum = address.bytes.count * 8
        var length = maximum
        if parts.count == 2 {
            guard let bits = Int(parts[1]), (0...maximum).contains(bits) else { return nil }
            length = bits
        }
        network = address
        prefixLength = length
        description = text
    }

    /// Whether `address` (an IPv4-mapped one counts as IPv4) lies in the block.
    public func contains(_ address: IPAddress) -> Bool {
        let candidate = address.unmapped.bytes
        let network = network.bytes
        guard candidate.count == network.count else { return false }
        var bits = prefixLength
        for index in network.indices where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if candidate[index] & mask != network[index] & mask { return false }
            bits -= 8
        }
        return true
    }
}

extension Array where Element == CIDR {
    /// The client of a request that came from `peer` with these
    /// `X-Forwarded-For` values: the peer itself unless it is trusted; else
    /// the rightmost forwarded address that is not a trusted proxy (entries
    /// left of it are the client's own claims, which anyone can forge).
    public func client(peer: IPAddress, forwardedFor headers: [String]) -> IPAddress {
        guard contains(where: { $0.contains(peer) }) else { return peer }
        let hops = headers.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peer
        for hop in hops.reversed() {
            guard let address = IPAddress(hop) else { return client }
            client = address
            if !contains(where: { $0.contains(address) }) { return address }
        }
        return client
    }
}
