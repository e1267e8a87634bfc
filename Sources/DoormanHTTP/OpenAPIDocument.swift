import Foundation

/// The OpenAPI 3.1 description of the HTTP API, served at `GET /openapi.json`.
///
/// It lists every status and header the server sends; `make test` runs
/// schemathesis against a live server with it (Tests/IntegrationTests/
/// SchemathesisTests.swift), so a change to the API that this document does
/// not follow fails the tests.
enum OpenAPIDocument {
    /// The document; with `admin`, the admin API's paths too (they are not
    /// advertised while it is off).
    static func json(admin: Bool) -> String {
        guard admin else { return json }
        return json
            .replacingOccurrences(of: "    \"/openapi.json\": {\n", with: AdminAPI.openAPIPaths + "    \"/openapi.json\": {\n")
            .replacingOccurrences(of: "    \"schemas\": {\n", with: "    \"schemas\": {\n" + AdminAPI.openAPISchemas)
            .replacingOccurrences(of: "    \"responses\": {\n", with: "    \"responses\": {\n" + AdminAPI.openAPIResponses)
    }

    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Doorman",
    "version": "2.0.0",
    "description": "Logs users in with HTTP Basic credentials checked against PostgreSQL (bcrypt), with a Redis cache of each user's hash, and serves the product list. Every answer carries X-Doorman-Instance."
  },
  "components": {
    "securitySchemes": {
      "basic": {"type": "http", "scheme": "basic"},
      "metricsToken": {"type": "http", "scheme": "bearer"}
    },
    "headers": {
      "Instance": {"description": "The instance that answered.", "schema": {"type": "string"}},
      "CacheControl": {"description": "Answers about credentials are never stored.", "schema": {"const": "no-store"}},
      "RetryAfter": {"description": "Seconds to wait before trying again.", "schema": {"type": "string", "pattern": "^[0-9]+$"}},
      "WWWAuthenticate": {"description": "The Basic challenge.", "schema": {"const": "Basic realm=\"doorman\", charset=\"UTF-8\""}}
    },
    "schemas": {
      "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
        "additionalProperties": false
      },
      "Product": {
        "type": "object",
        "required": ["product_id", "product_name", "retail_price"],
        "properties": {
          "product_id": {"type": "string", "pattern": "^[0-9]+$"},
          "product_name": {"type": "string"},
          "retail_price": {"type": "string"}
        },
        "additionalProperties": false
      },
      "Products": {
        "type": "object",
        "required": ["authenticated_by", "data"],
        "properties": {
          "authenticated_by": {"enum": ["Redis Server", "PostgreSQL Server", "Memory"]},
          "data": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}}
        },
        "additionalProperties": false
      },
      "FleetMember": {
        "type": "object",
        "required": ["instance", "logins", "failures", "hit_ratio", "started_at", "last_seen", "version", "pid"],
        "properties": {
          "instance": {"type": "string"},
          "logins": {
            "type": "object",
            "required": ["redis", "postgres", "memory"],
            "properties": {
              "redis": {"type": "integer", "minimum": 0},
              "postgres": {"type": "integer", "minimum": 0},
              "memory": {"type": "integer", "minimum": 0}
            },
            "additionalProperties": false
          },
          "failures": {"type": "integer", "minimum": 0},
          "hit_ratio": {"type": "number", "minimum": 0, "maximum": 1},
          "started_at": {"type": "integer", "description": "Unix milliseconds."},
          "last_seen": {"type": "integer", "description": "Unix milliseconds, on the instance's clock."},
          "version": {"type": "string"},
          "pid": {"type": "integer"}
        },
        "additionalProperties": false
      },
      "Health": {
        "type": "object",
        "required": ["status", "instance", "postgres"],
        "properties": {
          "status": {"enum": ["ok", "degraded", "unavailable"]},
          "instance": {"type": "string"},
          "postgres": {"enum": ["up", "slow", "down"]},
          "redis": {"enum": ["up", "slow", "down"]},
          "postgres_rtt_ms": {"type": "number", "minimum": 0},
          "redis_rtt_ms": {"type": "number", "minimum": 0},
          "change_feed": {"enum": ["listening", "polling"], "description": "How user changes are learnt of: notifications, or reading doorman_user_changes every second (as through PgBouncer without --notify-database-url)."}
        }
      }
    },
    "parameters": {
      "limit": {
        "name": "limit", "in": "query", "required": false,
        "description": "At most this many products (1 to the server's maximum page size, 10000 by default).",
        "schema": {"type": "integer", "minimum": 1, "maximum": 10000}
      },
      "after": {
        "name": "after", "in": "query", "required": false,
        "description": "Only products whose product_id is greater (keyset paging; see the Link header).",
        "schema": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807}
      },
      "cache": {
        "name": "X-Doorman-Cache", "in": "header", "required": false,
        "description": "bypass: log in without Redis and the memory tier (PostgreSQL answers), as the terminal UI's o does through --remote. Honoured only for the server's --admin-users; ignored for anyone else.",
        "schema": {"type": "string"}
      }
    },
    "responses": {
      "Products": {
        "description": "The products, and which store authenticated the user.",
        "headers": {
          "X-Authenticated-By": {"schema": {"enum": ["redis", "postgres", "memory"]}},
          "X-Doorman-Cache": {"description": "bypassed when the request's X-Doorman-Cache: bypass was honoured (an admin's).", "schema": {"const": "bypassed"}},
          "Link": {"description": "The next page, when this one is full.", "schema": {"type": "string"}},
          "Cache-Control": {"$ref": "#/components/headers/CacheControl"},
          "X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Products"}}}
      },
      "BadRequest": {
        "description": "A malformed query or request.",
        "headers": {"X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "Unauthorized": {
        "description": "Missing, malformed or wrong credentials: one answer for every kind of failure.",
        "headers": {
          "WWW-Authenticate": {"$ref": "#/components/headers/WWWAuthenticate"},
          "Cache-Control": {"$ref": "#/components/headers/CacheControl"},
          "X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "Throttled": {
        "description": "Too many failed logins for this account or client.",
        "headers": {
          "Retry-After": {"$ref": "#/components/headers/RetryAfter"},
          "Cache-Control": {"$ref": "#/components/headers/CacheControl"},
          "X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "Unavailable": {
        "description": "PostgreSQL cannot be asked (on a cache miss): try again later. Never a 401.",
        "headers": {
          "Retry-After": {"$ref": "#/components/headers/RetryAfter"},
          "X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      }
    }
  },
  "paths": {
    "/": {
      "get": {
        "summary": "The products (as /products).",
        "security": [{"basic": []}],
        "parameters": [{"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/after"}, {"$ref": "#/components/parameters/cache"}],
        "responses": {
          "200": {"$ref": "#/components/responses/Products"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/Throttled"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/products": {
      "get": {
        "summary": "The products, for a user who logs in with Basic credentials.",
        "security": [{"basic": []}],
        "parameters": [{"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/after"}, {"$ref": "#/components/parameters/cache"}],
        "responses": {
          "200": {"$ref": "#/components/responses/Products"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/Throttled"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/fleet": {
      "get": {
        "summary": "The doorman serve instances that published their counts to this Redis in the last few seconds, by name.",
        "security": [{"basic": []}],
        "responses": {
          "200": {
            "description": "Each instance with its logins by store, failures, hit ratio and when it last published (empty without a cache).",
            "headers": {
              "Cache-Control": {"$ref": "#/components/headers/CacheControl"},
              "X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}
            },
            "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/FleetMember"}}}}
          },
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/Throttled"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/healthz": {
      "get": {
        "summary": "Each store up, slow or down, within about 250 ms whatever the stores do.",
        "security": [],
        "responses": {
          "200": {
            "description": "PostgreSQL can be used (Redis may be down: logins then go to PostgreSQL).",
            "headers": {"X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}
          },
          "503": {
            "description": "PostgreSQL is down.",
            "headers": {
              "Retry-After": {"$ref": "#/components/headers/RetryAfter"},
              "X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}
            },
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics: open on a loopback listener, else behind a bearer token or on a listener of their own.",
        "security": [{}, {"metricsToken": []}],
        "responses": {
          "200": {
            "description": "The Prometheus text format.",
            "headers": {"X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}},
            "content": {"text/plain; version=0.0.4; charset=utf-8": {"schema": {"type": "string"}}}
          },
          "401": {
            "description": "A token is required and was missing or wrong.",
            "headers": {
              "WWW-Authenticate": {"schema": {"const": "Bearer realm=\"doorman-metrics\""}},
              "X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}
            },
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "404": {"description": "Metrics are not served on this listener."}
        }
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document.",
        "security": [],
        "responses": {
          "200": {
            "description": "The OpenAPI description of the API.",
            "headers": {"X-Doorman-Instance": {"$ref": "#/components/headers/Instance"}},
            "content": {"application/json": {"schema": {"type": "object"}}}
          }
        }
      }
    }
  }
}
"""#
}
