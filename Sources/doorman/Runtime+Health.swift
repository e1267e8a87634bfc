import DoormanCore
import DoormanHTTP
import DoormanRuntime
import Foundation

extension Runtime {
    /// The stores `/healthz` reports: PostgreSQL, then Redis unless the cache is off.
    var healthChecks: [HealthCheck] {
        let postgres = postgres
        var checks = [HealthCheck(name: "postgres", health: postgres.health) { deadline in try await postgres.ping(deadline: deadline) }]
        if let redis {
            checks.append(HealthCheck(name: "redis", health: redis.health) { deadline in try await redis.ping(deadline: deadline) })
        }
        return checks
    }
}
