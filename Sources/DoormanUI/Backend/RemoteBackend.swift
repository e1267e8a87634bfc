import DoormanCore
import Foundation
import NIOHTTP1
import Synchronization

/// A Doorman HTTP server (`doorman serve`, or another UI's `--serve`): a login
/// is a `GET /products?limit=1` with Basic credentials, and the store shown is
/// the one the server reports (`X-Authenticated-By`, else `authenticated_by`).
/// The products come page by page (`?limit=&after=`, following `Link`).
///
/// The panel counts this client's logins, with their round-trip times; the
/// cache belongs to the server, so it cannot be flushed from here.
public struct RemoteBackend: UIBackend {
    /// The server, e.g. `http://127.0.0.1:8080`.
    public let endpoint: RemoteEndpoint
    /// `local` (or `remote`), where the data comes from, and whether flushing works.
    public let mode: ModeInfo
    /// This client's logins.
    let statistics = AuthStatistics(capacity: 256)
    let client: HTTPClient
    let pageSize = 5_000
    /// `o`: this UI's requests ask the server to skip Redis (`X-Doorman-Cache: bypass`), which it does for its admins.
    let bypass = RemoteCacheBypass()

    /// A backend talking to `endpoint`; for `https://`, verifying the server
    /// against `caFile` (PEM) or the system's certificates.
    public init(endpoint: RemoteEndpoint, caFile: String? = nil) throws(DoormanError) {
        self.endpoint = endpoint
        client = HTTPClient(tls: endpoint.usesTLS ? try HTTPClient.tlsContext(caFile: caFile) : nil)
        mode = ModeInfo(name: "remote", detail: endpoint.description, canFlush: false,
                        flushUnavailableReason: "remote mode: the server owns the cache", latencyName: "round trip", canBypassCache: true,
                        userChangesUnavailableReason: "remote mode: add, change and delete users where the server runs (doorman user …)")
    }

    /// `GET /products?limit=1` with Basic credentials: 200 is the store the server names,
    /// 401 a failed login, 503 or no connection an outage.
    public func logIn(_ credentials: Credentials) async -> LoginResult {
        let clock = ContinuousClock()
        let start = clock.now
        let result: LoginResult
        do {
            let response = try await request("/products?limit=1", credentials)
            let roundTrip = clock.now - start
            switch response.status {
            case 200:
                guard let source = reportedSource(response) else {
                    result = .unavailable("\(endpoint) answered without saying which store authenticated the user: is it a Doorman server?")
                    break
                }
                statistics.record(AuthOutcome(username: credentials.username, result: .authenticated(source), lookupDuration: roundTrip), origin: .terminal)
                // The server says when it skipped Redis as asked (only for its --admin-users).
                let bypassed = response.headers.first(name: "X-Doorman-Cache")?.lowercased() == "bypassed"
                return .authenticated(Authentication(username: credentials.username, source: source, cacheBypassed: bypassed,
                                                     timing: .remote(roundTrip: roundTrip, server: endpoint.description, instance: Self.instance(response))))
            case 401:
                // A 401 does not say whether the user exists: no name in the panel.
                statistics.record(AuthOutcome(username: AuthOutcome.hiddenUsername, result: .rejected, lookupDuration: roundTrip), origin: .terminal)
                return .rejected
            case 429:
                let seconds = response.headers.first(name: "Retry-After").flatMap { Int($0) } ?? 60
                statistics.record(AuthOutcome(username: AuthOutcome.hiddenUsername, result: .throttled(retryAfter: .seconds(seconds)), lookupDuration: roundTrip), origin: .terminal)
                return .throttled(retryAfter: .seconds(seconds))
            case 503:
                result = .unavailable("Service unavailable: the server at \(endpoint) cannot reach PostgreSQL; try again shortly.")
            default:
                result = .unavailable("The server at \(endpoint) answered \(response.status); it may not be a Doorman server.")
            }
        } catch {
            result = .unavailable("Cannot reach \(endpoint): \(Self.describe(error)).")
        }
        statistics.record(AuthOutcome(username: AuthOutcome.hiddenUsername, result: .unavailable, lookupDuration: clock.now - start), origin: .terminal)
        return result
    }

    /// Every product, page by page (`?limit=5000`, then the `Link` header's next page).
    public func products(as credentials: Credentials) async throws(BackendError) -> [Product] {
        var products: [Product] = []
        var path = "/products?limit=\(pageSize)"
        while true {
            let response: HTTPClient.Response
            do {
                response = try await request(path, credentials)
            } catch {
                throw BackendError("cannot reach \(endpoint): \(Self.describe(error))")
            }
            guard response.status == 200 else {
                throw BackendError("the server answered \(response.status)", unavailable: response.status == 503)
            }
            guard let page = try? JSONDecoder().decode(ProductsPage.self, from: Data(response.body)) else {
                throw BackendError("the server's answer is not Doorman's JSON", unavailable: false)
            }
            for item in page.data {
                guard let id = Int64(item.product_id) else { continue }
                products.append(Product(id: id, name: item.product_name, price: item.retail_price))
            }
            guard let next = Self.nextLink(response.headers.first(name: "Link")), page.data.count == pageSize else { break }
            path = endpoint.basePath + next
        }
        return products
    }

    /// Not possible remotely: the server owns its cache.
    public func flushCache(user: String?) async -> FlushResult {
        .failed("not in remote mode: the server owns the cache (run 'doorman cache flush' where it runs)")
    }

    // MARK: The admin API

    /// `GET /admin/cache` as `credentials`.
    public func cacheEntries(as credentials: Credentials) async throws(BackendError) -> [CachedCredential] {
        try await admin(.GET, "/admin/cache", credentials, as: AdminCache.self).entries
    }

    /// `GET /admin/throttle` as `credentials`.
    public func throttleCounters(as credentials: Credentials) async throws(BackendError) -> [ThrottleCounter] {
        try await admin(.GET, "/admin/throttle", credentials, as: AdminThrottle.self).counters
    }

    /// `DELETE /admin/cache/{user}` as `credentials`.
    public func flushEntry(of user: String, as credentials: Credentials) async -> FlushResult {
        do throws(BackendError) {
            let removed = try await admin(.DELETE, "/admin/cache/" + Self.pathSegment(user), credentials, as: AdminRemoved.self).removed
            return .flushed(user: user, removed: removed)
        } catch {
            return .failed(error.message)
        }
    }

    /// `DELETE /admin/throttle/{user}` as `credentials`.
    public func unlock(_ user: String, as credentials: Credentials) async throws(BackendError) -> Int {
        try await admin(.DELETE, "/admin/throttle/" + Self.pathSegment(user), credentials, as: AdminRemoved.self).removed
    }

    /// `GET /admin/users` as `credentials`.
    public func users(as credentials: Credentials) async throws(BackendError) -> [UserSummary] {
        try await admin(.GET, "/admin/users", credentials, as: AdminUsers.self).users
    }

    /// One admin call: 404 says the API is off on the server, 403 that this user is not an admin.
    private func admin<Body: Decodable>(_ method: HTTPMethod, _ path: String, _ credentials: Credentials, as type: Body.Type) async throws(BackendError) -> Body {
        let response: HTTPClient.Response
        do {
            response = try await client.send(method, host: endpoint.host, port: endpoint.port, path: endpoint.basePath + path,
                                              headers: [("Authorization", Self.basicAuthorization(credentials))])
        } catch {
            throw BackendError("cannot reach \(endpoint): \(Self.describe(error))")
        }
        switch response.status {
        case 200: break
        case 404: throw BackendError("admin API off on the server (doorman serve --admin-users)", unavailable: false)
        case 403: throw BackendError("not an admin (the server's --admin-users does not list you)", unavailable: false)
        case 401: throw BackendError("the server no longer accepts your credentials", unavailable: false)
        case 429: throw BackendError("throttled by the server; try again later", unavailable: false)
        case 503: throw BackendError("the server cannot reach its stores")
        default: throw BackendError("the server answered \(response.status)", unavailable: false)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let body = try? decoder.decode(Body.self, from: Data(response.body)) else {
            throw BackendError("the server's answer is not Doorman's JSON", unavailable: false)
        }
        return body
    }

    /// `user` percent-encoded as one path segment.
    static func pathSegment(_ user: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        return user.addingPercentEncoding(withAllowedCharacters: allowed) ?? user
    }

    private struct AdminCache: Decodable { var entries: [CachedCredential] }
    private struct AdminThrottle: Decodable { var counters: [ThrottleCounter] }
    private struct AdminRemoved: Decodable { var removed: Int }
    private struct AdminUsers: Decodable { var users: [UserSummary] }

    /// This client's statistics' generation.
    public func panelVersion() -> PanelVersion {
        PanelVersion(statistics: statistics.snapshot().generation)
    }

    /// This client's logins, timed by round trip.
    public func panelSnapshot() -> PanelSnapshot {
        PanelSnapshot(statistics: statistics.snapshot(), scope: "this client")
    }

    /// The server's `GET /healthz`: each store's state and `<store>_rtt_ms`
    /// as the server sees them; the server itself `down` when it does not answer.
    public func storeHealth() async -> [StoreStatus] {
        do {
            let response = try await client.get(host: endpoint.host, port: endpoint.port, path: endpoint.basePath + "/healthz", headers: [])
            var statuses = Self.parseHealth(response.body) ?? [StoreStatus(name: "server", state: .down)]
            if bypass.isOn, let index = statuses.firstIndex(where: { $0.name == "Redis" }) {
                statuses[index].state = .offByYou
                statuses[index].roundTrip = nil
            }
            return statuses
        } catch {
            return [StoreStatus(name: "server", state: .down)]
        }
    }

    /// `{"status":"ok","postgres":"up","redis":"slow","postgres_rtt_ms":0.41,...}` as statuses, PostgreSQL first.
    static func parseHealth(_ body: [UInt8]) -> [StoreStatus]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        var statuses: [StoreStatus] = []
        for key in ["postgres", "redis"] {
            guard let value = object[key] as? String else { continue }
            let state = StoreStatus.State(rawValue: value) ?? .down
            let milliseconds = (object["\(key)_rtt_ms"] as? NSNumber)?.doubleValue
            statuses.append(StoreStatus(name: StoreStatus.displayName(key), state: state,
                                        roundTrip: milliseconds.map { .nanoseconds(Int64($0 * 1_000_000)) }))
        }
        return statuses.isEmpty ? nil : statuses
    }

    /// The server's `GET /fleet` with the logged-in user's credentials.
    public func fleet(as credentials: Credentials?) async throws(BackendError) -> [FleetMember] {
        guard let credentials else { throw BackendError("log in to see the fleet (the server asks for credentials)", unavailable: false) }
        let response: HTTPClient.Response
        do {
            response = try await request("/fleet", credentials)
        } catch {
            throw BackendError("cannot reach \(endpoint): \(Self.describe(error))")
        }
        switch response.status {
        case 200: break
        case 404: throw BackendError("the server has no fleet view (an older Doorman)", unavailable: false)
        case 503: throw BackendError("the server cannot read its Redis")
        default: throw BackendError("the server answered \(response.status)", unavailable: false)
        }
        guard let members = try? JSONDecoder().decode([FleetMember].self, from: Data(response.body)) else {
            throw BackendError("the server's answer is not Doorman's JSON", unavailable: false)
        }
        return members
    }

    // MARK: -

    private func request(_ path: String, _ credentials: Credentials) async throws(HTTPClient.Failure) -> HTTPClient.Response {
        var headers = [("Authorization", Self.basicAuthorization(credentials))]
        if bypass.isOn { headers.append(("X-Doorman-Cache", "bypass")) }
        return try await client.get(host: endpoint.host, port: endpoint.port, path: endpoint.basePath + path, headers: headers)
    }

    /// `o`: asks the server to skip Redis for this UI's requests, or stops asking.
    /// The server honours it for its `--admin-users` only; each login says whether it did.
    public func setCacheBypassed(_ bypassed: Bool) -> Bool {
        bypass.set(bypassed)
        return true
    }

    /// `Basic <base64 of username:password>` (RFC 7617). Only the server parses
    /// Basic headers (DoormanHTTP); this client only formats one.
    static func basicAuthorization(_ credentials: Credentials) -> String {
        "Basic " + Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()
    }

    /// The store from `X-Authenticated-By: redis`, or from the JSON's `"authenticated_by": "Redis Server"`.
    /// The `X-Doorman-Instance` that answered, if it is a name fit for a
    /// terminal: printable ASCII without spaces, at most 48 characters (the
    /// server's text goes on the screen, so no control sequences get through).
    static func instance(_ response: HTTPClient.Response) -> String? {
        instanceName(response.headers.first(name: "X-Doorman-Instance"))
    }

    static func instanceName(_ header: String?) -> String? {
        guard let name = header, !name.isEmpty, name.utf8.count <= 48,
              name.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return name
    }

    private func reportedSource(_ response: HTTPClient.Response) -> AuthSource? {
        if let header = response.headers.first(name: "X-Authenticated-By"), let source = AuthSource(rawValue: header.lowercased()) {
            return source
        }
        let page = try? JSONDecoder().decode(ProductsPage.self, from: Data(response.body))
        return AuthSource.allCases.first { $0.serverName == page?.authenticated_by }
    }

    /// `/products?limit=N&after=ID` from `Link: </products?limit=N&after=ID>; rel="next"`.
    static func nextLink(_ header: String?) -> String? {
        guard let header, header.contains("rel=\"next\""),
              let open = header.firstIndex(of: "<"), let close = header.firstIndex(of: ">"), open < close else { return nil }
        let target = String(header[header.index(after: open)..<close])
        return target.hasPrefix("/") ? target : nil
    }

    static func describe(_ error: HTTPClient.Failure) -> String {
        switch error {
        case .connectionRefused: "connection refused (is the server running?)"
        case .timedOut: "no answer in time"
        case .tooLarge: "the answer is too large"
        case .failed(let reason): reason
        }
    }

    /// The seed's JSON (`product_id` and friends are its names).
    private struct ProductsPage: Decodable {
        struct Item: Decodable {
            var product_id: String
            var product_name: String
            var retail_price: String
        }
        var authenticated_by: String
        var data: [Item]
    }
}

/// A Doorman HTTP server's address: `http://host:port[/prefix]` or `https://…`.
public struct RemoteEndpoint: Equatable, Sendable, CustomStringConvertible {
    /// The host name or address.
    public var host: String
    /// The port (80, or 443 for https, when the URL has none).
    public var port: Int
    /// `true` for `https://`.
    public var usesTLS: Bool
    /// A path prefix the server is mounted under (empty for none).
    public var basePath: String

    /// Parses `url`: `http://` or `https://`.
    public init(url: String) throws(DoormanError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty else {
            throw DoormanError(.configuration, "--remote must be an http:// or https:// URL such as http://127.0.0.1:8080")
        }
        usesTLS = scheme == "https"
        guard components.user == nil, components.password == nil else {
            throw DoormanError(.configuration, "--remote must not contain credentials: log in in the UI")
        }
        // URLComponents keeps the brackets of an IPv6 address; connecting wants it bare.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = components.port ?? (usesTLS ? 443 : 80)
        guard (1...65535).contains(port) else { throw DoormanError(.configuration, "--remote: the port must be between 1 and 65535") }
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        basePath = path
    }

    /// `http://host:port[/prefix]` (or `https://…`), as given.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let defaultPort = usesTLS ? 443 : 80
        return "\(usesTLS ? "https" : "http")://\(shownHost)\(port == defaultPort ? "" : ":\(port)")\(basePath)"
    }
}

/// The remote `o` switch: shared by copies of the backend.
final class RemoteCacheBypass: Sendable {
    private let on = Mutex(false)

    /// `true` while this UI asks the server to skip Redis.
    var isOn: Bool { on.withLock { $0 } }

    /// Sets the switch.
    func set(_ value: Bool) { on.withLock { $0 = value } }
}
