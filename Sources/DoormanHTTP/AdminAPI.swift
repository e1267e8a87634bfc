import DoormanAuth
import DoormanCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The admin API, for the terminal UI's cache and users views over
/// `--remote`: what Redis holds for Doorman, the throttle's counters, and
/// the users with their cache and lock state; a cached entry can be flushed
/// and an account unlocked.
///
/// Off unless `--admin-users` names someone (its paths are then 404 and not
/// in `/openapi.json`). Behind ``BasicAuthenticator`` like the products (so
/// the throttle limits guesses here too); a user who logs in but is not listed
/// gets 403. No answer ever holds a hash, and a username in a path is neither
/// logged nor written to Redis unless it is a cached user's.
struct AdminAPI: Sendable {
    let server: DoormanHTTPServer
    /// The admins, as RFC 8265 prepares their names.
    let admins: Set<String>

    init(server: DoormanHTTPServer, admins: [String]) {
        self.server = server
        self.admins = Set(admins.map(PRECIS.prepareUsername))
    }

    /// The GET paths (which answer HEAD too, and 405 to other methods).
    static let paths: Set<String> = ["/admin/cache", "/admin/throttle", "/admin/users"]
    /// The DELETE paths' prefixes (one more segment: the user).
    static let deletePrefixes = ["/admin/cache/", "/admin/throttle/"]

    /// Adds the routes to `group` (behind the authenticator).
    func register(on group: RouterGroup<DoormanRequestContext>) {
        for method in [HTTPRequest.Method.get, .head] {
            group.on("/admin/cache", method: method) { _, context in await self.guarded(context) { try await self.cache() } }
            group.on("/admin/throttle", method: method) { _, context in await self.guarded(context) { try await self.throttle() } }
            group.on("/admin/users", method: method) { _, context in await self.guarded(context) { try await self.users() } }
        }
        group.delete("/admin/cache/:user") { _, context in
            await self.guarded(context) {
                guard let user = try Self.user(context) else { return try Self.encode(Removed(removed: 0)) }
                return try await self.flush(user)
            }
        }
        group.delete("/admin/throttle/:user") { _, context in
            await self.guarded(context) {
                guard let user = try Self.user(context) else { return try Self.encode(Removed(removed: 0)) }
                return try await self.unlock(user)
            }
        }
    }

    /// The `{user}` path parameter, percent-decoded and prepared as a login
    /// prepares it; `nil` for a name no user can have (there is nothing to
    /// remove). Longer than 50 characters, or not percent-encoding: 400.
    static func user(_ context: DoormanRequestContext) throws -> String? {
        guard let raw = context.parameters.get("user"), let decoded = raw.removingPercentEncoding else {
            throw AdminFailure.badRequest("The username in the path is not valid percent-encoding.")
        }
        guard !decoded.isEmpty, decoded.unicodeScalars.count <= Credentials.maxUsernameLength else {
            throw AdminFailure.badRequest("A username is 1 to \(Credentials.maxUsernameLength) characters.")
        }
        let prepared = PRECIS.prepareUsername(decoded)
        guard (try? Credentials.validate(username: prepared)) != nil else { return nil }
        return prepared
    }

    enum AdminFailure: Error {
        case badRequest(String)
    }

    /// 403 for a user who is not an admin; 400, 503 for what the work throws.
    private func guarded(_ context: DoormanRequestContext, _ body: () async throws -> [UInt8]) async -> Response {
        guard let identity = context.identity else { return BasicAuthenticator.unauthorized() }
        guard admins.contains(PRECIS.prepareUsername(identity.username)) else {
            return BasicAuthenticator.noStore(Responses.json(.forbidden, SeedJSON.errorBody("Not an admin: the server's --admin-users does not list this user.")))
        }
        do {
            return BasicAuthenticator.noStore(Responses.json(.ok, try await body()))
        } catch AdminFailure.badRequest(let message) {
            return BasicAuthenticator.noStore(Responses.json(.badRequest, SeedJSON.errorBody(message)))
        } catch {
            server.logger.error("admin API: a store cannot be read", metadata: ["reason": "\((error as? DoormanError)?.message ?? "\(type(of: error))")"])
            return BasicAuthenticator.noStore(Responses.unavailable(retryAfterSeconds: server.configuration.retryAfterSeconds))
        }
    }

    private func cache() async throws -> [UInt8] {
        try Self.encode(CacheList(entries: try await server.auth.cachedCredentials()))
    }

    private func throttle() async throws -> [UInt8] {
        try Self.encode(CounterList(counters: try await server.auth.throttleCounters()))
    }

    private func users() async throws -> [UInt8] {
        try Self.encode(UserList(users: try await server.auth.userSummaries()))
    }

    /// Flushes the user's entry: one `DEL`, which creates nothing for a name
    /// no entry has (and the name goes into no log).
    private func flush(_ user: String) async throws -> [UInt8] {
        try Self.encode(Removed(removed: try await server.auth.flushCache(for: user) ? 1 : 0))
    }

    private func unlock(_ user: String) async throws -> [UInt8] {
        try Self.encode(Removed(removed: try await server.auth.unlock(user)))
    }

    // MARK: Bodies

    struct CacheList: Codable { var entries: [CachedCredential] }
    struct CounterList: Codable { var counters: [ThrottleCounter] }
    struct UserList: Codable { var users: [UserSummary] }
    struct Removed: Codable { var removed: Int }

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }

    // MARK: OpenAPI

    /// The responses only the admin paths use.
    static let openAPIResponses = #"""
      "Forbidden": {
        "description": "Logged in, but not one of the server's --admin-users.",
        "headers": {"Cache-Control": {"$ref": "#/components/headers/CacheControl"}, "X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "Removed": {
        "description": "How many keys went (0 when there was nothing to remove).",
        "headers": {"Cache-Control": {"$ref": "#/components/headers/CacheControl"}, "X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AdminRemoved"}}}
      },

"""#

    /// The admin paths for `/openapi.json` (spliced in when the API is on).
    static let openAPIPaths = #"""
    "/admin/cache": {
      "get": {
        "summary": "Admin: Doorman's cached entries in Redis, each judged as a login would (never a hash).",
        "security": [{"basic": []}],
        "responses": {
          "200": {"description": "The entries.", "headers": {"Cache-Control": {"$ref": "#/components/headers/CacheControl"}, "X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AdminCache"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "429": {"$ref": "#/components/responses/Throttled"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/cache/{user}": {
      "delete": {
        "summary": "Admin: flush one user's cached entry.",
        "security": [{"basic": []}],
        "parameters": [{"name": "user", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1, "maxLength": 50}}],
        "responses": {
          "200": {"$ref": "#/components/responses/Removed"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "429": {"$ref": "#/components/responses/Throttled"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/throttle": {
      "get": {
        "summary": "Admin: the throttle's failure counters; an account is named only when it is a known user.",
        "security": [{"basic": []}],
        "responses": {
          "200": {"description": "The counters.", "headers": {"Cache-Control": {"$ref": "#/components/headers/CacheControl"}, "X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AdminThrottle"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "429": {"$ref": "#/components/responses/Throttled"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/throttle/{user}": {
      "delete": {
        "summary": "Admin: unlock an account (clear its account and per-client counters).",
        "security": [{"basic": []}],
        "parameters": [{"name": "user", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1, "maxLength": 50}}],
        "responses": {
          "200": {"$ref": "#/components/responses/Removed"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "429": {"$ref": "#/components/responses/Throttled"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/users": {
      "get": {
        "summary": "Admin: the users with their cache state, failure counts and lock state (never a hash).",
        "security": [{"basic": []}],
        "responses": {
          "200": {"description": "The users.", "headers": {"Cache-Control": {"$ref": "#/components/headers/CacheControl"}, "X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AdminUsers"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "429": {"$ref": "#/components/responses/Throttled"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },

"""#

    /// The admin bodies' schemas, and the responses only they use.
    static let openAPISchemas = #"""
      "AdminCache": {
        "type": "object", "required": ["entries"], "additionalProperties": false,
        "properties": {"entries": {"type": "array", "items": {
          "type": "object", "required": ["username", "state"], "additionalProperties": false,
          "properties": {
            "username": {"type": "string"},
            "version": {"type": "integer"},
            "current_version": {"type": "integer"},
            "time_to_live_milliseconds": {"type": "integer", "minimum": 0},
            "state": {"enum": ["valid", "stale", "expired", "forged", "orphaned", "unknown"]}
          }}}}
      },
      "AdminThrottle": {
        "type": "object", "required": ["counters"], "additionalProperties": false,
        "properties": {"counters": {"type": "array", "items": {
          "type": "object", "required": ["kind", "subject", "count"], "additionalProperties": false,
          "properties": {
            "kind": {"enum": ["account", "pair", "client"]},
            "username": {"type": "string"},
            "subject": {"type": "string", "pattern": "^[0-9a-f]*$"},
            "count": {"type": "integer", "minimum": 0},
            "time_to_live_milliseconds": {"type": "integer", "minimum": 0}
          }}}}
      },
      "AdminUsers": {
        "type": "object", "required": ["users"], "additionalProperties": false,
        "properties": {"users": {"type": "array", "items": {
          "type": "object", "required": ["username", "version", "cached", "account_failures", "pair_failures", "locked"], "additionalProperties": false,
          "properties": {
            "username": {"type": "string"},
            "version": {"type": "integer"},
            "cached": {"type": "boolean"},
            "cached_time_to_live_milliseconds": {"type": "integer", "minimum": 0},
            "account_failures": {"type": "integer", "minimum": 0},
            "pair_failures": {"type": "integer", "minimum": 0},
            "locked": {"type": "boolean"}
          }}}}
      },
      "AdminRemoved": {
        "type": "object", "required": ["removed"], "additionalProperties": false,
        "properties": {"removed": {"type": "integer", "minimum": 0}}
      },

"""#
}
