import DoormanAuth
import DoormanCore
import Hummingbird
import NIOCore

/// Hummingbird's request context plus the client's address, which throttling
/// counts failures by, and the identity Basic authentication established.
public struct DoormanRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connected peer's address (see ``BasicAuthenticator`` for proxies).
    public let remoteAddress: SocketAddress?
    /// Who logged in, and which store vouched for them; set by ``BasicAuthenticator``.
    public var identity: AuthenticatedUser?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// A user logged in by ``BasicAuthenticator``.
public struct AuthenticatedUser: Sendable, Equatable {
    /// The username.
    public var username: String
    /// The store that authenticated them.
    public var source: AuthSource
}
