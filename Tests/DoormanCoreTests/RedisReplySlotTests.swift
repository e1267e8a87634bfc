import DoormanCore
@testable import DoormanRedis
import Testing

/// The one-shot slot a Redis reply lands in, completed from the event loop
/// and awaited from anywhere, in either order.
@Suite("Redis reply slots")
struct RedisReplySlotTests {
    @Test("a reply that came before anyone asked is returned at once")
    func completedFirst() async throws {
        let slot = RedisReplySlot()
        slot.succeed(.integer(7))
        #expect(try await slot.value() == .integer(7))
    }

    @Test("a waiting caller is resumed by the reply; later completions are ignored")
    func awaitedFirst() async throws {
        let slot = RedisReplySlot()
        async let reply = slot.value()
        try await Task.sleep(for: .milliseconds(20))
        slot.succeed(.string(Array("v".utf8)))
        slot.fail(DoormanError(.unavailable, "too late"))
        #expect(try await reply == .string(Array("v".utf8)))
    }

    @Test("a failure reaches the caller as the error it was")
    func failure() async {
        let slot = RedisReplySlot()
        slot.fail(DoormanError(.unavailable, "Redis closed the connection"))
        slot.succeed(.integer(1))
        await #expect(throws: DoormanError.self) { try await slot.value() }
    }
}
