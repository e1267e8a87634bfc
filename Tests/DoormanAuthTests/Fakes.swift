@testable import DoormanAuth
import DoormanCore
import DoormanPostgres
import Synchronization

// Fakes of the login's own stage protocols, for tests of the orchestration
// alone. The real stages are tested against real servers in IntegrationTests.

/// Records calls in order, across tasks.
final class CallLog: Sendable {
    private let calls = Mutex<[String]>([])
    func add(_ call: String) { calls.withLock { $0.append(call) } }
    var all: [String] { calls.withLock { $0 } }
    func count(_ prefix: String) -> Int { all.filter { $0.hasPrefix(prefix) }.count }
}

final class FakeThrottle: LoginThrottle {
    let log: CallLog
    let answer: ThrottleCheck
    init(log: CallLog, answer: ThrottleCheck = ThrottleCheck()) {
        self.log = log
        self.answer = answer
    }
    func check(_ subject: ThrottleSubject) async -> ThrottleCheck {
        log.add("throttle.check \(subject.username)")
        return answer
    }
    func recordFailure(_ subject: ThrottleSubject, after check: ThrottleCheck) async { log.add("throttle.failure \(subject.username)") }
    func recordSuccess(_ subject: ThrottleSubject, after check: ThrottleCheck) async { log.add("throttle.success \(subject.username)") }
    func isRecentlyClear(_ subject: ThrottleSubject) -> Bool { false }
    func unlock(_ username: String) async throws -> Int {
        log.add("throttle.unlock \(username)")
        return 1
    }
}

final class FakeCache: CredentialCache {
    let log: CallLog
    private let answers: Mutex<[CacheLookup]>
    let fillSucceeds: Bool
    /// Whether ``startLookup(_:)`` starts the read at once (as Redis' does), logging
    /// `cache.start` then and `cache.result` when the result is asked for.
    let startsEarly: Bool
    /// Answers lookups with `answers` in turn (the last one again when they run out).
    init(log: CallLog, answers: [CacheLookup], fillSucceeds: Bool = true, startsEarly: Bool = false) {
        self.log = log
        self.answers = Mutex(answers)
        self.fillSucceeds = fillSucceeds
        self.startsEarly = startsEarly
    }
    func startLookup(_ username: String) async -> StartedCacheLookup {
        guard startsEarly else { return StartedCacheLookup { await self.lookup(username) } }
        log.add("cache.start \(username)")
        let answer = answers.withLock { answers in answers.count > 1 ? answers.removeFirst() : answers[0] }
        return StartedCacheLookup { [log] in
            log.add("cache.result \(username)")
            return answer
        }
    }
    func prepare() async throws { log.add("cache.prepare") }
    func lookup(_ username: String) async -> CacheLookup {
        log.add("cache.lookup \(username)")
        return answers.withLock { answers in answers.count > 1 ? answers.removeFirst() : answers[0] }
    }
    func fill(_ record: PasswordRecord, for username: String) async -> Bool {
        log.add("cache.fill \(username) v\(record.version)")
        return fillSucceeds
    }
    func evict(_ username: String) async throws -> Bool {
        log.add("cache.evict \(username)")
        return true
    }
    func evict(_ username: String, ifOlderThan version: Int64) async throws { log.add("cache.evictIfOlder \(username) v\(version)") }
    func evictAll() async throws -> Int {
        log.add("cache.evictAll")
        return 2
    }
}

final class FakeSource: CredentialSource {
    let log: CallLog
    let records: [String: PasswordRecord]
    let failure: DoormanError?
    let landedAfterStart: Bool
    let typical: Int?
    let replacement: HashReplacement
    init(log: CallLog, records: [String: PasswordRecord] = [:], failure: DoormanError? = nil, landedAfterStart: Bool = false,
         typicalCost: Int? = nil, replacement: HashReplacement = .replaced) {
        self.log = log
        self.records = records
        self.failure = failure
        self.landedAfterStart = landedAfterStart
        self.typical = typicalCost
        self.replacement = replacement
    }
    func typicalCost() async throws -> Int? {
        log.add("source.typicalCost")
        return typical
    }
    func replaceHash(of username: String, old: String, new: String) async throws -> HashReplacement {
        log.add("source.replaceHash \(username) \(old) -> \(new)")
        return replacement
    }
    func lookUp(_ username: String) async throws -> CredentialLookup {
        log.add("source.lookUp \(username)")
        if let failure { throw failure }
        return CredentialLookup(record: records[username])
    }
    func landed(_ username: String, since instant: ContinuousClock.Instant) -> Bool {
        landedAfterStart
    }
}

/// A password matches a hash when the hash is `hash(<password>)`, or
/// `cN/hash(<password>)` for a hash of cost N.
final class FakeVerifier: PasswordVerifier {
    let log: CallLog
    init(log: CallLog) { self.log = log }
    static func hash(_ password: String, cost: Int? = nil) -> String { (cost.map { "c\($0)/" } ?? "") + "hash(\(password))" }
    let dummyHash = "hash(dummy)"
    func verify(_ password: String, against hash: String) async -> (matched: Bool, duration: Duration) {
        log.add("verify \(hash)")
        return (hash.hasSuffix(Self.hash(password)) && (hash.first == "c" || hash.first == "h"), .milliseconds(5))
    }
    func canVerify(_ hash: String) -> Bool { hash.contains("hash(") }
    func cost(of hash: String) -> Int? {
        guard hash.hasPrefix("c"), let slash = hash.firstIndex(of: "/") else { return nil }
        return Int(hash[hash.index(after: hash.startIndex)..<slash])
    }
    func hash(_ password: String, cost: Int) async throws -> String {
        log.add("hash cost \(cost)")
        return Self.hash(password, cost: cost)
    }
}

/// A service over fakes, and the log of what its stages were asked.
struct Harness {
    let log = CallLog()
    let service: AuthService

    init(cache: [CacheLookup]? = [.miss], fillSucceeds: Bool = true, cacheStartsEarly: Bool = false, records: [String: PasswordRecord] = [:],
         sourceFailure: DoormanError? = nil, landedAfterStart: Bool = false, throttle: ThrottleCheck = ThrottleCheck(),
         memoryCache: MemoryCredentialCache.Configuration? = nil, typicalCost: Int? = nil, replacement: HashReplacement = .replaced,
         rehash: Bool = true) {
        let log = log
        let stages = AuthService.Stages(
            throttle: FakeThrottle(log: log, answer: throttle),
            cache: cache.map { FakeCache(log: log, answers: $0, fillSucceeds: fillSucceeds, startsEarly: cacheStartsEarly) },
            source: FakeSource(log: log, records: records, failure: sourceFailure, landedAfterStart: landedAfterStart,
                               typicalCost: typicalCost, replacement: replacement),
            verifier: FakeVerifier(log: log))
        service = AuthService(stages: stages, freshness: CacheFreshness(),
                              configuration: .init(memoryCache: memoryCache, bcryptCost: 10, rehash: rehash))
    }

    /// Waits (a little) for a background step to show in the log.
    func eventually(_ prefix: String, count: Int = 1) async -> Bool {
        for _ in 0..<200 {
            if log.count(prefix) >= count { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    func login(_ username: String = "ada", _ password: String = "right") async -> AuthOutcome {
        await service.authenticate(username: username, password: password, origin: .cli)
    }

    static func entry(_ password: String, version: Int64 = 7) -> CacheEntry {
        CacheEntry(hash: FakeVerifier.hash(password), version: version, expiresAt: .max)
    }

    static func record(_ password: String, version: Int64 = 7) -> PasswordRecord {
        PasswordRecord(hash: FakeVerifier.hash(password), version: version)
    }
}
