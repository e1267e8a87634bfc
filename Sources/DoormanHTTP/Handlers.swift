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

    static let wwwAuthenticate = #"Basic realm="doorman", charset="UTF-8""#
    static let authenticatedBy = HTTPField.Name("X-Authenticated-By")!
    static let link = HTTPField.Name("Link")!

    /// `GET /` and `GET /products`.
    @Sendable func products(_ request: Request, context: DoormanRequestContext) async -> Response {
        guard let credentials = BasicAuthorization.parse(request.headers[.authorization]) else {
            // Counted like any failed login, without touching a store.
            server.auth.statistics.record(AuthOutcome(username: "", result: .rejected), origin: .http)
            return unauthorized()
        }
        let page: ProductPage
        switch ProductPage.parse(request.uri.queryParameters, maxLimit: server.configuration.maxPageSize) {
        case .success(let parsed): page = parsed
        case .failure(let message): return json(.badRequest, SeedJSON.errorBody(message))
        }

        let outcome = await server.auth.authenticate(
            username: credentials.username, password: credentials.password, origin: .http, client: context.client)
        let source: AuthSource
        switch outcome.result {
        case .authenticated(let authenticated): source = authenticated
        case .rejected: return unauthorized()
        case .unavailable: return unavailable()
        case .throttled(let retryAfter): return tooManyRequests(retryAfter)
        }

        let body: ByteBuffer
        var headers: HTTPFields = [.contentType: "application/json"]
        do {
            let bodies = server.bodies
            if page.limit == nil && page.after == nil {
                body = try await server.blocking { try bodies.all(authenticatedBy: source) }
            } else {
                let (encoded, products) = try await server.blocking { try bodies.page(limit: page.limit, after: page.after, authenticatedBy: source) }
                body = encoded
                if let limit = page.limit, products.count == limit, let last = products.last {
                    headers[Self.link] = "</products?limit=\(limit)&after=\(last.id)>; rel=\"next\""
                }
            }
        } catch {
            server.logger.error("cannot read products", metadata: ["reason": "\((error as? DoormanError)?.message ?? "\(type(of: error))")"])
            return unavailable()
        }
        headers[Self.authenticatedBy] = source.rawValue
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// `GET /healthz`: each store's state; 503 when PostgreSQL is down.
    @Sendable func health(_ request: Request, context: DoormanRequestContext) async -> Response {
        let auth = server.auth
        let postgresUp = (try? await server.blocking { try auth.postgres.ping() }) != nil
        let redisUp = (try? await server.blocking { try auth.redis?.ping() }) != nil && auth.redis != nil
        let status: String = postgresUp ? (redisUp ? "ok" : "degraded") : "unavailable"
        let body = SeedJSON.object([
            ("status", .string(status)),
            ("postgres", .string(postgresUp ? "up" : "down")),
            ("redis", .string(redisUp ? "up" : "down")),
        ])
        var response = json(postgresUp ? .ok : .serviceUnavailable, body)
        if !postgresUp { response.headers[.retryAfter] = String(server.configuration.retryAfterSeconds) }
        return response
    }

    /// `GET /metrics`: Prometheus text format.
    @Sendable func metrics(_ request: Request, context: DoormanRequestContext) async -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: server.metrics.exposition())))
    }

    private func unauthorized() -> Response {
        var response = json(.unauthorized, SeedJSON.errorBody(AuthOutcome.failureMessage))
        response.headers[.wwwAuthenticate] = Self.wwwAuthenticate
        return response
    }

    private func tooManyRequests(_ retryAfter: Duration) -> Response {
        var response = json(.tooManyRequests, SeedJSON.errorBody(AuthOutcome.throttledMessage(retryAfter: retryAfter)))
        response.headers[.retryAfter] = String(max(1, Int(retryAfter.seconds.rounded(.up))))
        return response
    }

    private func unavailable() -> Response {
        var response = json(.serviceUnavailable, SeedJSON.errorBody("Service unavailable."))
        response.headers[.retryAfter] = String(server.configuration.retryAfterSeconds)
        return response
    }

    private func json(_ status: HTTPResponse.Status, _ body: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
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
