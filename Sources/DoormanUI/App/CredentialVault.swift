import DoormanCore
import Synchronization

/// The logged-in user's credentials, kept in memory only while the session
/// lasts: the burst logs in with them, and the remote mode sends them with
/// every page it fetches. Logging out (and leaving the UI) drops them.
///
/// Swift strings cannot be zeroed in place, so "drops" means the last
/// reference goes away; nothing writes them anywhere.
final class CredentialVault: Sendable {
    private let stored = Mutex<(session: Int, credentials: Credentials)?>(nil)

    /// Keeps `credentials` for `session`.
    func keep(_ credentials: Credentials, session: Int) {
        stored.withLock { $0 = (session, credentials) }
    }

    /// The credentials of `session`, unless it ended.
    func credentials(for session: Int) -> Credentials? {
        stored.withLock { $0?.session == session ? $0?.credentials : nil }
    }

    /// Drops the credentials.
    func forget() {
        stored.withLock { $0 = nil }
    }
}
