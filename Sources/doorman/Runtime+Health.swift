import DoormanCore
import DoormanHTTP
import DoormanRuntime
import Foundation

extension Runtime {
    /// The stores `/healthz` reports: PostgreSQL, then Redis unless the cache is off.
    var healthChecks: [HealthCheck] {
        let postgres = postgres
        var checks = [HealthCheck(name: "postgres", health: nil) { _ in try await onThreadOfItsOwn { try postgres.ping() } }]
        if let redis {
            checks.append(HealthCheck(name: "redis", health: redis.health) { deadline in try await redis.ping(deadline: deadline) })
        }
        return checks
    }
}

/// Interim, until the gateways stop blocking: a blocking probe on a thread of
/// its own, so that it never waits in a queue behind logins.
func onThreadOfItsOwn(_ body: @escaping @Sendable () throws -> Void) async throws {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}
