import DoormanCore
import DoormanHTTP
import Foundation
import Testing

/// Behind a load balancer, every answer says which instance gave it.
@Suite("Instance names")
struct InstanceNameTests {
    @Test("X-Doorman-Instance on every answer, in /healthz and in the metrics; HOSTNAME:PORT by default")
    func named() async throws {
        for configured in ["blue-1", nil] {
            let service = try TestServers.service()
            let server = try await service.httpServer(HTTPServerConfiguration(port: 0, instanceName: configured)).start()
            let expected = configured ?? "\(ProcessInfo.processInfo.hostName):\(server.port)"
            let client = try await RawHTTPClient.open(port: server.port)
            let john = BasicAuthorization.header(username: "john_doe", password: "EXAMPLE_PASSWORD")
            for (path, authorization, status) in [("/products?limit=1", john, 200), ("/products", nil, 401), ("/nowhere", nil, 404), ("/healthz", nil, 200)] {
                let response = try await client.fetch(path, authorization: authorization)
                #expect(response.status == status, "\(path)")
                #expect(response.header("X-Doorman-Instance") == expected, "\(path)")
            }
            let health = try JSONSerialization.jsonObject(with: Data(try await client.fetch("/healthz").body)) as? [String: Any]
            #expect(health?["instance"] as? String == expected)
            #expect(String(decoding: try await client.fetch("/metrics").body, as: UTF8.self).contains(#"doorman_instance_info{instance="\#(expected)"} 1"#))
            await server.stop()
        }
    }
}
