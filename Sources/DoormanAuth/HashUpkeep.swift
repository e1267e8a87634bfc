import DoormanCore
import Logging
import Synchronization

/// Keeps every failed login costing the same, and stored hashes as strong as
/// the configured cost.
///
/// - The dummy hash that unknown users are checked against has the cost most
///   stored hashes have (read at start, and again after users change), so
///   that an unknown user and a wrong password take the same time: with the
///   seed's users (cost 6) against a cost-10 dummy, whether a user exists
///   showed in the timing alone.
/// - After a successful login, a hash weaker than ``Policy/cost`` is
///   replaced in the background, on the condition that it is unchanged (a
///   password changed meanwhile wins). The cache follows through the version
///   that the change bumps. A role that may not update users turns it off,
///   with one notice.
final class HashUpkeep: Sendable {
    /// What the upkeep does.
    struct Policy: Sendable, Equatable {
        /// The cost new and rehashed hashes get.
        var cost: Int
        /// Whether weaker hashes are replaced after a successful login.
        var rehash: Bool
    }

    private struct State {
        var dummy: (cost: Int?, hash: String)
        var refreshing = false
        var refreshAgain = false
        var rehashing: Set<String> = []
        var rehashPermitted = true
    }

    let policy: Policy
    private let source: any CredentialSource
    private let verifier: any PasswordVerifier
    private let logger: Logger
    private let state: Mutex<State>

    init(policy: Policy, source: any CredentialSource, verifier: any PasswordVerifier, logger: Logger) {
        self.policy = policy
        self.source = source
        self.verifier = verifier
        self.logger = logger
        self.state = Mutex(State(dummy: (verifier.cost(of: verifier.dummyHash), verifier.dummyHash)))
    }

    /// The hash an unknown user's password is checked against.
    var dummyHash: String { state.withLock { $0.dummy.hash } }

    /// Reads the typical cost and, when it changed, makes a dummy hash of
    /// that cost. Concurrent calls coalesce into one more refresh.
    func refreshDummyHash() async {
        let proceed = state.withLock { state in
            if state.refreshing { state.refreshAgain = true; return false }
            state.refreshing = true
            return true
        }
        guard proceed else { return }
        repeat {
            await refreshOnce()
        } while state.withLock { state in
            let again = state.refreshAgain
            state.refreshAgain = false
            if !again { state.refreshing = false }
            return again
        }
    }

    private func refreshOnce() async {
        guard let cost = try? await source.typicalCost(), cost != state.withLock({ $0.dummy.cost }) else { return }
        // A password nobody knows: a random one, never stored.
        let secret = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 36) }.joined()
        guard let hash = try? await verifier.hash(secret, cost: cost) else { return }
        state.withLock { $0.dummy = (cost, hash) }
        logger.debug("unknown users are checked at the cost most users have", metadata: ["cost": "\(cost)"])
    }

    /// After `username` logged in with `password` against `hash`: replaces a
    /// hash weaker than the policy's cost, in the background. Returns the
    /// task (for tests), or `nil` when nothing is to be done.
    @discardableResult
    func upgradeIfWeak(_ username: String, password: String, hash: String) -> Task<Void, Never>? {
        guard policy.rehash, let cost = verifier.cost(of: hash), cost < policy.cost else { return nil }
        let start = state.withLock { state in
            guard state.rehashPermitted, !state.rehashing.contains(username) else { return false }
            state.rehashing.insert(username)
            return true
        }
        guard start else { return nil }
        return Task { [self] in
            defer { _ = state.withLock { $0.rehashing.remove(username) } }
            do {
                let stronger = try await verifier.hash(password, cost: policy.cost)
                switch try await source.replaceHash(of: username, old: hash, new: stronger) {
                case .replaced:
                    logger.info("rehashed a weak password hash", metadata: ["user": "\(username)", "from_cost": "\(cost)", "to_cost": "\(policy.cost)"])
                case .unchanged:
                    break
                case .notPermitted:
                    let first = state.withLock { state in
                        defer { state.rehashPermitted = false }
                        return state.rehashPermitted
                    }
                    if first {
                        logger.notice("weak password hashes are not rehashed: this database role may not update users (grant UPDATE on users, or pass --no-rehash)")
                    }
                }
            } catch let error as DoormanError where error.isUnavailable {
                // PostgreSQL is down, late or closing: a later login tries again.
                logger.debug("could not rehash a weak password hash", metadata: ["reason": "\(error.message)"])
            } catch {
                logger.warning("could not rehash a weak password hash", metadata: ["reason": "\((error as? DoormanError)?.message ?? "\(type(of: error))")"])
            }
        }
    }
}
