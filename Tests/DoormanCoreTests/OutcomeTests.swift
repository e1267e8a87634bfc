import DoormanCore
import DoormanPostgres
import Testing

@Suite("Outcomes, durations and migrations (pure)")
struct OutcomeTests {
    @Test("the one-line summary names the store and both timings")
    func summary() {
        let outcome = AuthOutcome(username: "john_doe", result: .authenticated(.redis), lookupDuration: .microseconds(60), bcryptDuration: .microseconds(45_800))
        #expect(outcome.summary == "Authenticated by Redis Server (lookup 0.06 ms, bcrypt 45.8 ms)")
        #expect(AuthOutcome(username: "x", result: .rejected).summary == "Authentication failed.")
        #expect(AuthOutcome(username: "x", result: .unavailable).summary.hasPrefix("Service unavailable"))
        var degraded = outcome
        degraded.result = .authenticated(.postgres)
        degraded.cacheUnavailable = true
        #expect(degraded.summary.hasPrefix("Authenticated by PostgreSQL Server ("))
        #expect(degraded.summary.hasSuffix("; cache unavailable"))
    }

    @Test("milliseconds for people", arguments: [
        (Duration.microseconds(4), "0.00 ms"), (.microseconds(60), "0.06 ms"), (.microseconds(999), "1.00 ms"),
        (.milliseconds(2), "2.0 ms"), (.microseconds(45_849), "45.8 ms"), (.milliseconds(1_204), "1204 ms"),
    ])
    func milliseconds(duration: Duration, text: String) {
        #expect(duration.milliseconds == text)
    }

    @Test("migration files: seed-data marker and checksum")
    func migrationMarker() {
        let schema = Migration(name: "001.sql", sql: "CREATE TABLE t ();")
        let seed = Migration(name: "002.sql", sql: "-- doorman:seed-data\nINSERT INTO t DEFAULT VALUES;")
        #expect(!schema.isSeedData)
        #expect(seed.isSeedData)
        #expect(schema.checksum.count == 16)
        #expect(schema.checksum != Migration(name: "001.sql", sql: "CREATE TABLE t ( );").checksum)
    }
}
