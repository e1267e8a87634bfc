import DoormanAuth
import DoormanCore
import Hummingbird
import NIOCore

/// Hummingbird's request context plus the client's address, which throttling
/// counts failures by, and the identity Basic authentication established.
public struct DoormanRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connected client's address (no proxy headers are trusted).
    public let remoteAddress: SocketAddress?
    /// Who logged in, and which store vouched for them; set by ``BasicAuthenticator``.
    public var identity: AuthenticatedUser?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client as throttling sees it: its IP address (an IPv6 client by its /64).
    var client: ClientIdentity {
        .address(remoteAddress?.ipAddress ?? "unknown")
    }
}

/// A user logged in by ``BasicAuthenticator``.
public struct AuthenticatedUser: Sendable, Equatable {
    /// The username.
    public var username: String
    /// The store that authenticated them.
    public var source: AuthSource
}
