import DoormanAuth
import DoormanCore
import DoormanPostgres
import HTTPTypes
import Hummingbird
import NIOCore

/// The route handlers. Each one answers every input with a deliberate
/// status: nothing they do throws past them, so no request becomes a 500.
struct Handlers: Sendable {
    let server: DoormanHTTPServer

    static let authenticatedBy = HTTPField.Name("X-Authenticated-By")!
    static let link = HTTPField.Name("Link")!

    /// `GET /` and `GET /products`, behind ``BasicAuthenticator``.
    @Sendable func products(_ request: Request, context: DoormanRequestContext) async -> Response {
        guard let identity = context.identity else {
            return BasicAuthenticator.unauthorized()  // not behind the authenticator: refuse
        }
        let page: ProductPage
        switch request.uri.query == nil ? .success(ProductPage()) : ProductPage.parse(request.uri.queryParameters, maxLimit: server.configuration.maxPageSize) {
        case .success(let parsed): page = parsed
        case .failure(let message): return Responses.json(.badRequest, SeedJSON.errorBody(message))
        }
        let source = identity.source
        let body: ByteBuffer
        var headers: HTTPFields = [.contentType: "application/json"]
        do {
            let bodies = server.bodies
            if page.limit == nil && page.after == nil {
                body = try await bodies.all(authenticatedBy: source)
            } else {
                let (encoded, products) = try await bodies.page(limit: page.limit, after: page.after, authenticatedBy: source)
                body = encoded
                if let limit = page.limit, products.count == limit, let last = products.last {
                    headers[Self.link] = "</products?limit=\(limit)&after=\(last.id)>; rel=\"next\""
                }
            }
        } catch {
            server.logger.error("cannot read products", metadata: ["reason": "\((error as? DoormanError)?.message ?? "\(type(of: error))")"])
            return Responses.unavailable(retryAfterSeconds: server.configuration.retryAfterSeconds)
        }
        headers[Self.authenticatedBy] = source.rawValue
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// `GET /healthz`: each store up, slow or down, answered within about
    /// 250 ms whatever the stores do; 503 when PostgreSQL is down. With
    /// `change_feed`: `listening`, or `polling` while notifications do not arrive.
    @Sendable func health(_ request: Request, context: DoormanRequestContext) async -> Response {
        let reports = await server.healthMonitor.reports()
        let postgresDown = reports.first { $0.name == "postgres" }?.state == .down
        let allUp = reports.allSatisfy { $0.state == .up }
        var members: [(String, SeedJSON.JSONValue)] = [("status", .string(postgresDown ? "unavailable" : allUp ? "ok" : "degraded")),
                                                       ("instance", .string(server.instanceName))]
        for report in reports {
            members.append((report.name, .string(report.state.rawValue)))
        }
        if let changeFeed = server.changeFeed {
            members.append(("change_feed", .string(changeFeed())))
        }
        for report in reports {
            if let roundTrip = report.roundTrip {
                members.append(("\(report.name)_rtt_ms", .number(String(fixed: roundTrip.millisecondsValue, digits: 2))))
            }
        }
        var response = Responses.json(postgresDown ? .serviceUnavailable : .ok, SeedJSON.object(members))
        if postgresDown { response.headers[.retryAfter] = String(server.configuration.retryAfterSeconds) }
        return response
    }

    /// `GET /openapi.json`: the API's OpenAPI 3.1 description.
    @Sendable static func openAPI(_ request: Request, context: DoormanRequestContext) async -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: openAPIBody))
    }

    private static let openAPIBody = ByteBuffer(string: OpenAPIDocument.json)

    /// `GET /metrics`: Prometheus text format, for whoever `access` admits
    /// (a wrong or missing token is 401 with `WWW-Authenticate: Bearer`).
    @Sendable func metrics(_ request: Request, context: DoormanRequestContext, access: MetricsAccess) async -> Response {
        if case .token(let token) = access {
            let given = request.headers[.authorization].flatMap { header -> String? in
                header.lowercased().hasPrefix("bearer ") ? String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil
            }
            guard let given, Self.constantTimeEquals(Array(given.utf8), Array(token.utf8)) else {
                var response = Responses.json(.unauthorized, SeedJSON.errorBody("Metrics need a bearer token."))
                response.headers[.wwwAuthenticate] = #"Bearer realm="doorman-metrics""#
                response.headers[.cacheControl] = "no-store"
                return response
            }
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: server.metrics.exposition())))
    }

    /// Compares without stopping at the first difference.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            difference |= (index < lhs.count ? lhs[index] : 0) ^ (index < rhs.count ? rhs[index] : 0)
        }
        return difference == 0
    }
}

/// `?limit=N&after=ID`: both optional; without them, every product.
struct ProductPage: Equatable {
    var limit: Int?
    var after: Int64?

    enum ParseResult: Equatable {
        case success(ProductPage)
        case failure(String)
    }

    static func parse(_ query: Parameters, maxLimit: Int) -> ParseResult {
        var page = ProductPage()
        if let text = query.get("limit") {
            guard let limit = Int(text), (1...maxLimit).contains(limit) else {
                return .failure("limit must be a whole number from 1 to \(maxLimit).")
            }
            page.limit = limit
        }
        if let text = query.get("after") {
            guard let after = Int64(text), after >= 0 else {
                return .failure("after must be a product_id (a whole number, 0 or more).")
            }
            page.after = after
        }
        return .success(page)
    }
}

/// Names the instance that answered, on every response (behind a load
/// balancer, which of several `doorman serve` it was).
struct InstanceHeaderMiddleware: RouterMiddleware {
    typealias Context = DoormanRequestContext
    static let name = HTTPField.Name("X-Doorman-Instance")!
    let server: DoormanHTTPServer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // The router's own 404 and the like, answered here so that they carry the name too.
            response = try error.response(from: request, context: context)
        }
        response.headers[Self.name] = server.instanceName
        return response
    }
}

/// Counts every response by status, including the router's own 404s.
struct ResponseMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.recordResponse(status: response.status.code)
            return response
        } catch let error as any HTTPResponseError {
            metrics.recordResponse(status: error.status.code)
            throw error
        } catch {
            metrics.recordResponse(status: 500)
            throw error
        }
    }
}
