import DoormanCore
import DoormanPostgres
import Foundation
import Testing

/// The non-blocking libpq client against the real test PostgreSQL: the pool,
/// deadlines and cancellation, lost connections, notices.
@Suite("PostgreSQL client without blocking")
struct PostgresClientTests {
    func gateway(poolSize: Int = 4, queryTimeout: Duration = .seconds(2), applicationName: String? = nil) throws -> PostgresGateway {
        var url = TestServers.shared.databaseURL
        if let applicationName { url += "&application_name=\(applicationName)" }
        return try PostgresGateway(configuration: PostgresConfiguration(connectionString: url, poolSize: poolSize, queryTimeout: queryTimeout),
                                   logger: TestServers.quietLogger)
    }

    @Test("concurrent queries share the pool, each answered, never more connections than its size")
    func concurrentQueries() async throws {
        let postgres = try gateway(poolSize: 3, queryTimeout: .seconds(60))
        let answers = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<40 {
                group.addTask { try await postgres.query("SELECT $1::int * 2, pg_sleep(0.01)", [String(index)]).rows[0][0] }
            }
            var answers: [String?] = []
            for try await answer in group { answers.append(answer) }
            return answers
        }
        #expect(Set(answers.compactMap { $0 }) == Set((0..<40).map { String($0 * 2) }))
        #expect(postgres.health.snapshot().successes >= 40)
        await postgres.shutdown()
    }
}
