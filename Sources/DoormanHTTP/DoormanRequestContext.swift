import DoormanAuth
import DoormanCore
import Hummingbird
import NIOCore

/// Hummingbird's request context plus the client's address, which throttling
/// counts failures by, and the identity Basic authentication established.
struct DoormanRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connected peer's address (see ``BasicAuthenticator`` for proxies).
    let remoteAddress: SocketAddress?
    /// Who logged in, and which store vouched for them; set by ``BasicAuthenticator``.
    var identity: AuthenticatedUser?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// A user logged in by ``BasicAuthenticator``.
struct AuthenticatedUser: Sendable, Equatable {
    /// The username.
    var username: String
    /// The store that authenticated them.
    var source: AuthSource
}
