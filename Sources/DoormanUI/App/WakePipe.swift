import Foundation
import Synchronization

/// A pipe the UI loop waits on next to the keyboard: background work and
/// signal handlers write a byte to wake it up. Writing is async-signal-safe.
final class WakePipe: Sendable {
    /// The end the loop polls.
    let readDescriptor: Int32
    /// The end writers write to.
    let writeDescriptor: Int32

    /// The byte ``wake()`` writes (signal handlers write the signal's number).
    static let wakeByte: UInt8 = 0

    init() throws {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { throw TerminalError("cannot create a pipe: \(String(cString: strerror(errno)))") }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }

    /// Wakes the loop (from any thread).
    func wake() {
        var byte = Self.wakeByte
        _ = write(writeDescriptor, &byte, 1)
    }

    /// Empties the pipe; returns the bytes other than ``wakeByte`` (signal numbers).
    func drain() -> [UInt8] {
        var signals: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readDescriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            signals += buffer[..<count].filter { $0 != Self.wakeByte }
        }
        return signals
    }
}

/// Actions posted by work running off the UI thread, handed to the UI loop
/// in order. Posting wakes the loop.
final class ActionInbox: Sendable {
    private let pending = Mutex<[Action]>([])
    private let pipe: WakePipe

    init(pipe: WakePipe) {
        self.pipe = pipe
    }

    /// Queues `action` for the UI loop (from any thread).
    func post(_ action: Action) {
        pending.withLock { $0.append(action) }
        pipe.wake()
    }

    /// Everything posted so far, oldest first.
    func drain() -> [Action] {
        pending.withLock { actions in
            defer { actions = [] }
            return actions
        }
    }
}
