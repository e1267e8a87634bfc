import DoormanCore
import Synchronization
import Testing
@testable import DoormanUI

/// The burst's loop over a scripted login function (a fake of our own
/// closure, no store): it must stop at its first failure.
@Suite("Burst runner")
struct BurstRunnerTests {
    final class Script: Sendable {
        let answers: Mutex<[LoginResult]>
        let calls = Mutex(0)
        let posted = Mutex<[Action]>([])
        init(_ answers: [LoginResult]) { self.answers = Mutex(answers) }
        func logIn() -> LoginResult {
            calls.withLock { $0 += 1 }
            return answers.withLock { $0.isEmpty ? .rejected : $0.removeFirst() }
        }
        var failure: String?? {
            posted.withLock { actions in
                for action in actions { if case .burstFinished(_, let failure) = action { return failure } }
                return nil
            }
        }
        var progress: Int { posted.withLock { $0.filter { if case .burstProgress = $0 { true } else { false } }.count } }
    }

    static let ok = LoginResult.authenticated(Authentication(username: "john_doe", source: .redis, timing: .local(lookup: .microseconds(50), bcrypt: .milliseconds(3))))
    static let credentials = try! Credentials(username: "john_doe", password: "EXAMPLE_PASSWORD")

    static func run(_ script: Script, count: Int = 20, concurrency: Int = 1, stopped: @escaping @Sendable () -> Bool = { false }) async {
        await BurstRunner.run(count: count, concurrency: concurrency, session: 1, credentials: { credentials }, isStopped: stopped,
                              logIn: { _ in script.logIn() }, post: { action in script.posted.withLock { $0.append(action) } })
    }

    @Test("a refused login (the password changed from another shell) ends the burst at once: no retry toward the lockout")
    func stopsAtRejection() async {
        let script = Script([Self.ok, Self.ok, .rejected, Self.ok])
        await Self.run(script)
        #expect(script.calls.withLock { $0 } == 3)
        #expect(script.progress == 3)
        #expect(script.failure == .some(BurstRunner.rejectedMessage))
    }

    @Test("concurrently: every login once, one end; a refusal stops the others before their next login")
    func concurrent() async {
        let clean = Script(Array(repeating: Self.ok, count: 50))
        await Self.run(clean, count: 50, concurrency: 4)
        #expect(clean.calls.withLock { $0 } == 50)
        #expect(clean.progress == 50)
        #expect(clean.failure == .some(nil))
        #expect(clean.posted.withLock { $0.filter { if case .burstFinished = $0 { true } else { false } }.count } == 1)
        let refused = Script([Self.ok, .rejected] + Array(repeating: Self.ok, count: 48))
        await Self.run(refused, count: 50, concurrency: 4)
        // At most the logins already asked when the refusal came (concurrency - 1) after it.
        #expect(refused.calls.withLock { $0 } <= 2 + 3)
        #expect(refused.failure == .some(BurstRunner.rejectedMessage))
    }

    @Test("an outage or the throttle ends it too; a clean burst makes every login")
    func otherEnds() async {
        let outage = Script([Self.ok, .unavailable("PostgreSQL is down")])
        await Self.run(outage)
        #expect(outage.calls.withLock { $0 } == 2)
        #expect(outage.failure == .some("PostgreSQL is down"))
        let throttled = Script([.throttled(retryAfter: .seconds(60))])
        await Self.run(throttled)
        #expect(throttled.calls.withLock { $0 } == 1)
        let clean = Script(Array(repeating: Self.ok, count: 20))
        await Self.run(clean)
        #expect(clean.calls.withLock { $0 } == 20)
        #expect(clean.failure == .some(nil))
    }

    @Test("a stopped burst makes no more logins and posts nothing more")
    func stopped() async {
        let script = Script(Array(repeating: Self.ok, count: 20))
        let switchboard = BurstSwitch()
        let started = switchboard.current()
        switchboard.stop()
        await Self.run(script, stopped: { switchboard.isStopped(started) })
        #expect(script.calls.withLock { $0 } == 0)
        #expect(script.posted.withLock { $0.isEmpty })
    }
}
