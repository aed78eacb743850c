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
    private let flags = Flags()

    init() throws {
        let flags = self.flags
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
        // Binding takes microseconds; this wait is bounded by the thread's first steps.
        while flags.bound.withLock({ $0 }) == nil {
            usleep(500)
        }
        self.endpoint = try flags.bound.withLock { $0 }!.get()
    }

    func stop() {
        self.flags.stopping.store(true, ordering: .releasing)
    }
}
