import Foundation
import Synchronization
import ZeroMQ

/// A ROUTER that takes requests and never answers, on a thread of its own: every attempt sent to
/// it times out, which is what forces reconnects.
final class SilentPeer: Sendable {
    private final class Flags: Sendable {
        let stopping = Atomic<Bool>(false)
        let bound = Mutex<Result<String, ZMQError>?>(nil)
    }

    let endpoint: String
    private let flags: Flags

    private init(endpoint: String, flags: Flags) {
        self.endpoint = endpoint
        self.flags = flags
    }

    /// Starts the peer's thread and waits, without blocking the caller's thread, until it is bound.
    static func start() async throws -> SilentPeer {
        let flags = Flags()
        Thread {
            do {
                let context = try Context()
                let socket = try Socket(context, .router)
                try socket.bind("tcp://127.0.0.1:*")
                let endpoint = try socket.lastEndpoint
                flags.bound.withLock { $0 = .success(endpoint) }
                var poller = Poller()
                poller.add(socket, events: .readable)
                while !flags.stopping.load(ordering: .acquiring) {
                    // Drain what arrives so queues stay small; answer nothing.
                    guard (try? poller.poll(timeout: .milliseconds(20))) ?? 0 > 0 else { continue }
                    while (try? socket.receiveMultipartMessages(dontWait: true)) != nil {}
                }
                socket.close()
            } catch {
                let failure = error as? ZMQError ?? ZMQError(errno: 0, operation: "silent peer: \(error)")
                flags.bound.withLock { $0 = .failure(failure) }
            }
        }.start()
        // Binding takes microseconds; the wait is bounded all the same.
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while ContinuousClock.now < deadline {
            if let bound = flags.bound.withLock({ $0 }) {
                return SilentPeer(endpoint: try bound.get(), flags: flags)
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        flags.stopping.store(true, ordering: .releasing)
        throw ZMQError(errno: 0, operation: "silent peer: did not bind within 10s")
    }

    func stop() {
        self.flags.stopping.store(true, ordering: .releasing)
    }
}
