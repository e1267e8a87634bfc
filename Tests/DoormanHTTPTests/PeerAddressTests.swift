import DoormanAuth
@testable import DoormanHTTP
import NIOCore
import Testing

/// The client throttling counts, read from the peer's socket address on every
/// request: the same identity as the address's text would give.
@Suite("Peer addresses")
struct PeerAddressTests {
    @Test("IPv4, IPv6 and IPv4-mapped peers give the identity their text gives", arguments: [
        ("127.0.0.1", "ip:127.0.0.1"),
        ("203.0.113.9", "ip:203.0.113.9"),
        ("::1", "ip:0:0:0:0::/64"),
        ("2001:db8:1:2:3:4:5:6", "ip:2001:db8:1:2::/64"),
        ("::ffff:192.0.2.1", "ip:192.0.2.1"),
    ])
    func sameAsText(text: String, identity: String) throws {
        let address = try SocketAddress(ipAddress: text, port: 443)
        let peer = try #require(IPAddress(address))
        #expect(peer == IPAddress(text))
        #expect(ClientIdentity.address(peer).value == identity)
        #expect(ClientIdentity.address(text).value == identity)
    }

    @Test("a unix-socket peer has no IP address")
    func unixSocket() throws {
        #expect(IPAddress(try SocketAddress(unixDomainSocketPath: "/tmp/doorman-test.sock")) == nil)
    }
}
