import DoormanAuth
import Testing

/// One client per address, and who a trusted proxy may speak for.
@Suite("Client identity")
struct ClientIdentityTests {
    @Test("an IPv4-mapped IPv6 address is its IPv4 address; IPv6 counts by /64")
    func identities() {
        #expect(ClientIdentity.address("::ffff:127.0.0.1") == ClientIdentity.address("127.0.0.1"))
        #expect(ClientIdentity.address("::ffff:127.0.0.1").value == "ip:127.0.0.1")
        #expect(ClientIdentity.address("2001:db8:1:2:3:4:5:6").value == "ip:2001:db8:1:2::/64")
        #expect(ClientIdentity.address("2001:db8:1:2::9") == ClientIdentity.address("2001:0db8:0001:0002:ffff::1%eth0"))
        #expect(ClientIdentity.address("2001:db8:1:3::9") != ClientIdentity.address("2001:db8:1:2::9"))
        #expect(ClientIdentity.address("not an address").value == "ip:not an address")
    }

    @Test("CIDR blocks", arguments: [
        ("10.0.0.0/8", "10.200.3.4", true), ("10.0.0.0/8", "11.0.0.1", false), ("192.0.2.7", "192.0.2.7", true),
        ("192.0.2.7", "192.0.2.8", false), ("127.0.0.0/8", "::ffff:127.0.0.1", true), ("2001:db8::/32", "2001:db8:ffff::1", true),
        ("2001:db8::/32", "2001:db9::1", false), ("0.0.0.0/0", "8.8.8.8", true), ("10.0.0.0/12", "10.15.255.255", true),
        ("10.0.0.0/12", "10.16.0.0", false), ("::/0", "10.0.0.1", false),
    ])
    func blocks(_ block: String, _ address: String, _ inside: Bool) throws {
        let cidr = try #require(CIDR(block))
        #expect(cidr.contains(try #require(IPAddress(address))) == inside)
    }

    @Test("malformed blocks are refused", arguments: ["10.0.0.0/33", "10.0.0/8", "::/129", "", "host/8", "10.0.0.0/-1"])
    func malformed(_ text: String) {
        #expect(CIDR(text) == nil)
    }

    @Test("X-Forwarded-For counts only from a trusted proxy, and only its rightmost untrusted hop")
    func forwarded() throws {
        let proxies = [try #require(CIDR("10.0.0.0/8"))]
        let proxy = try #require(IPAddress("10.1.1.1"))
        let stranger = try #require(IPAddress("198.51.100.9"))
        #expect(proxies.client(peer: stranger, forwardedFor: ["203.0.113.5"]) == stranger)
        #expect(proxies.client(peer: proxy, forwardedFor: ["203.0.113.5"]) == IPAddress("203.0.113.5"))
        // The client's own claim (left) is ignored past the first untrusted hop.
        #expect(proxies.client(peer: proxy, forwardedFor: ["1.2.3.4, 203.0.113.5", "10.2.2.2"]) == IPAddress("203.0.113.5"))
        #expect(proxies.client(peer: proxy, forwardedFor: []) == proxy)
        #expect(proxies.client(peer: proxy, forwardedFor: ["garbage"]) == proxy)
    }
}
