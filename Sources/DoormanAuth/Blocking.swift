import NIOPosix

/// Runs a call into a blocking gateway on NIO's blocking pool, off the
/// caller's thread. Interim: the stages call the blocking gateways through
/// this until the non-blocking clients replace them.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
}
