import HTTPTypes
import Hummingbird

/// HTTP semantics the router alone does not give, for the paths Doorman serves:
/// - 400 for an HTTP/1.1 request without exactly one Host header (RFC 9112 §3.2;
///   marked by ``HTTP1VersionRules``);
/// - HEAD answered as GET, with the same status and headers and no body (RFC 9110 §9.3.2):
///   routes register their GET handler for HEAD too, and this drops the body;
/// - 405 with `Allow` for any other method on a known path (RFC 9110 §15.5.6).
/// Unknown paths stay 404.
struct ConformanceMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The paths that exist; each answers GET and HEAD only.
    let knownPaths: Set<String>
    /// Prefixes of paths that take one more segment and answer DELETE only
    /// (the admin API's `/admin/cache/{user}`).
    var deletePrefixes: [String] = []

    static var allow: String { "GET, HEAD" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let badHost = HTTPField.Name(HTTP1VersionRules.badHostHeader).flatMap({ request.headers[$0] }) {
            return Responses.json(.badRequest, SeedJSON.errorBody("The request must have exactly one Host header (\(badHost == "missing" ? "it has none" : "it has several"))."))
        }
        let path = request.uri.path
        if let prefix = deletePrefixes.first(where: { path.hasPrefix($0) }), path.count > prefix.count,
           !path.dropFirst(prefix.count).contains("/"), request.method != .delete {
            var response = Responses.json(.methodNotAllowed, SeedJSON.errorBody("\(request.method.rawValue) is not allowed here; use DELETE."))
            response.headers[.allow] = "DELETE"
            return response
        }
        switch request.method {
        case .get:
            return try await next(request, context)
        case .head where knownPaths.contains(path):
            // Routed to the GET handler (each path is registered for HEAD too).
            let response = try await next(request, context)
            // Same status and headers (Content-Length included), no body.
            var headers = response.headers
            if headers[.contentLength] == nil, let length = response.body.contentLength {
                headers[.contentLength] = String(length)
            }
            return Response(status: response.status, headers: headers, body: ResponseBody())
        default:
            guard knownPaths.contains(path) else { return try await next(request, context) }
            var response = Responses.json(.methodNotAllowed, SeedJSON.errorBody("\(request.method.rawValue) is not allowed here; use GET or HEAD."))
            response.headers[.allow] = Self.allow
            return response
        }
    }
}
