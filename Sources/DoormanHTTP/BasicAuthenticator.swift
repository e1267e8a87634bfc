import DoormanAuth
import DoormanCore
import HTTPTypes
import Hummingbird
import NIOCore

/// Basic authentication as middleware (after hummingbird-auth's
/// `BasicAuthenticator`): parses the `Authorization` header (RFC 7617), logs
/// the user in through ``AuthService`` and puts the identity in the request
/// context for the routes behind it. It answers itself when the login does
/// not succeed, with one uniform 401 for every kind of failure, 429 with
/// `Retry-After` when throttled, and 503 with `Retry-After` when PostgreSQL
/// cannot be asked on a cache miss — never 401 for an outage.
struct BasicAuthenticator: RouterMiddleware {
    typealias Context = DoormanRequestContext

    let auth: AuthService
    let retryAfterSeconds: Int
    let trustedProxies: [CIDR]
    /// The same stages without Redis (and without the memory tier), for an
    /// admin's requests that ask to skip the cache; `nil` when nobody may.
    var withoutCache: AuthService? = nil
    /// The admins (as RFC 8265 prepares their names), who may skip the cache.
    var admins: Set<String> = []

    /// `X-Doorman-Cache: bypass` on a request: an admin's terminal UI (`o`
    /// with `--remote`) asks that its logins read PostgreSQL, as `o` does
    /// locally. Honoured only for the server's `--admin-users` (the claimed
    /// name decides which path checks the password; either way the password
    /// is checked and the throttle counts), and answered with
    /// `X-Doorman-Cache: bypassed`; ignored for anyone else.
    static let cacheHeader = HTTPField.Name("X-Doorman-Cache")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let credentials = BasicAuthorization.parse(request.headers[.authorization]) else {
            // Counted like any failed login, without touching a store.
            auth.statistics.record(AuthOutcome(username: "", result: .rejected), origin: .http)
            return Self.unauthorized()
        }
        var service = auth
        var bypassed = false
        if let withoutCache, request.headers[Self.cacheHeader]?.lowercased() == "bypass",
           admins.contains(PRECIS.prepareUsername(credentials.username)) {
            service = withoutCache
            bypassed = true
        }
        let outcome = await service.authenticate(username: credentials.username, password: credentials.password, origin: .http, client: client(of: request, context: context))
        switch outcome.result {
        case .authenticated(let source):
            var context = context
            context.identity = AuthenticatedUser(username: credentials.username, source: source)
            var response = Self.noStore(try await next(request, context))
            if bypassed { response.headers[Self.cacheHeader] = "bypassed" }
            return response
        case .rejected:
            return Self.unauthorized()
        case .unavailable:
            return Self.noStore(Responses.unavailable(retryAfterSeconds: retryAfterSeconds))
        case .throttled(let retryAfter):
            var response = Responses.json(.tooManyRequests, SeedJSON.errorBody(AuthOutcome.throttledMessage(retryAfter: retryAfter)))
            response.headers[.retryAfter] = String(max(1, Int(retryAfter.seconds.rounded(.up))))
            return Self.noStore(response)
        }
    }

    /// The client throttling counts: the peer, or, when the peer is a trusted
    /// proxy, the address it forwarded for.
    /// (Read from the peer's socket address, not its text: this runs on every request.)
    func client(of request: Request, context: Context) -> ClientIdentity {
        guard let address = context.remoteAddress, let peer = IPAddress(address) else { return .address("unknown") }
        if trustedProxies.isEmpty { return .address(peer) }
        return .address(trustedProxies.client(peer: peer, forwardedFor: request.headers[values: Self.xForwardedFor]))
    }

    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// Answers that authenticated or refused credentials are never stored by caches.
    static func noStore(_ response: Response) -> Response {
        var response = response
        response.headers[.cacheControl] = "no-store"
        return response
    }

    static let wwwAuthenticate = #"Basic realm="doorman", charset="UTF-8""#

    static func unauthorized() -> Response {
        var response = Responses.json(.unauthorized, SeedJSON.errorBody(AuthOutcome.failureMessage))
        response.headers[.wwwAuthenticate] = wwwAuthenticate
        return noStore(response)
    }
}

extension IPAddress {
    /// A connected peer's address from its `sockaddr`; `nil` for a unix socket.
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            self = .v4(withUnsafeBytes(of: v4.address.sin_addr) { Array($0) })
        case .v6(let v6):
            self = .v6(withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) })
        case .unixDomainSocket:
            return nil
        }
    }
}

/// Responses every route shares.
enum Responses {
    static func json(_ status: HTTPResponse.Status, _ body: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func unavailable(retryAfterSeconds: Int) -> Response {
        var response = json(.serviceUnavailable, SeedJSON.errorBody("Service unavailable."))
        response.headers[.retryAfter] = String(retryAfterSeconds)
        return response
    }
}
