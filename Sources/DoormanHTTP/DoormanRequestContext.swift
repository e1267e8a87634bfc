import DoormanAuth
import Hummingbird
import NIOCore

/// Hummingbird's request context plus the client's address, which throttling
/// counts failures by.
public struct DoormanRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connected client's address (no proxy headers are trusted).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client as throttling sees it: its IP address (an IPv6 client by its /64).
    var client: ClientIdentity {
        .address(remoteAddress?.ipAddress ?? "unknown")
    }
}
