import DoormanCore
import Testing
@testable import DoormanUI

/// The remote mode's address and paging.
@Suite("Remote endpoint")
struct RemoteEndpointTests {
    @Test("--remote takes http and https URLs with a host, and says what is wrong with others", arguments: [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://doorman.example/", "http://doorman.example"),
        ("HTTP://[::1]:9000/api/", "http://[::1]:9000/api"),
        ("https://doorman.example", "https://doorman.example"),
        ("https://doorman.example:8443/", "https://doorman.example:8443"),
    ])
    func endpoints(url: String, shown: String) throws {
        #expect(try RemoteEndpoint(url: url).description == shown)
    }

    @Test("the instance that answered is shown when its name is fit for a terminal", arguments: [
        ("doorman-2", "doorman-2"),
        ("vm-3.example:8080", "vm-3.example:8080"),
        ("[::1]:8080", "[::1]:8080"),
        ("", nil),
        ("two words", nil),
        ("\u{1B}[2Jcleared", nil),
        ("zoë", nil),
        (String(repeating: "x", count: 49), nil),
    ] as [(String, String?)])
    func instanceNames(header: String, shown: String?) {
        #expect(RemoteBackend.instanceName(header) == shown)
        #expect(RemoteBackend.instanceName(nil) == nil)
    }

    @Test("a login's status line names the instance that answered, else the server it went to")
    func statusLine() {
        let answered = Authentication(username: "john_doe", source: .redis,
                                      timing: .remote(roundTrip: .microseconds(3100), server: "http://127.0.0.1:8080", instance: "doorman-2"))
        #expect(answered.timingSummary == "answered by doorman-2 · round trip 3.1 ms")
        let unnamed = Authentication(username: "john_doe", source: .redis, timing: .remote(roundTrip: .microseconds(3100), server: "http://127.0.0.1:8080"))
        #expect(unnamed.timingSummary == "via http://127.0.0.1:8080 · round trip 3.1 ms")
    }

    @Test("--remote refuses what it cannot use", arguments: [
        ("ftp://doorman.example", "must be an http:// or https:// URL"),
        ("127.0.0.1:8080", "must be an http:// or https:// URL"),
        ("http://user:pw@host:8080", "must not contain credentials"),
        ("http://:8080", "must be an http:// or https:// URL"),
    ])
    func badEndpoints(url: String, message: String) {
        #expect {
            try RemoteEndpoint(url: url)
        } throws: { error in
            (error as? DoormanError)?.message.contains(message) == true && (error as? DoormanError)?.kind == .configuration
        }
    }

    @Test("the next page comes from the Link header")
    func nextLink() {
        #expect(RemoteBackend.nextLink("</products?limit=5000&after=5000>; rel=\"next\"") == "/products?limit=5000&after=5000")
        #expect(RemoteBackend.nextLink(nil) == nil)
        #expect(RemoteBackend.nextLink("<http://evil.example/x>; rel=\"next\"") == nil)
        #expect(RemoteBackend.nextLink("</products?after=1>; rel=\"prev\"") == nil)
    }

    @Test("the client formats the Basic header the server parses (RFC 7617's example, and UTF-8)")
    func basicHeader() throws {
        #expect(RemoteBackend.basicAuthorization(try Credentials(username: "Aladdin", password: "open sesame")) == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        #expect(RemoteBackend.basicAuthorization(try Credentials(username: "zoë", password: "pa:ss")) == "Basic em/DqzpwYTpzcw==")
    }
}
