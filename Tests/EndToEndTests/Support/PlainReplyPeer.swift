import Foundation
import Synchronization
import ZeroMQ

/// A plain ZeroMQ REP server, as in the ZeroMQ guide: it answers every request, whatever its
/// frames, with one frame `world`. Its socket lives on a thread of its own, from bind to close.
final class PlainReplyPeer: Sendable {
    /// The bound endpoint, `tcp://127.0.0.1:<port>`.
    let endpoint: String
    /// Whether the thread keeps answering; a class, so that the thread can hold it before `self` exists.
    private final class Switch: Sendable {
        let on = Atomic<Bool>(true)
    }

    private let running = Switch()
    private let stopped = DispatchSemaphore(value: 0)

    init(context: Context) throws {
        let ready = DispatchSemaphore(value: 0)
        let bound = Mutex<Result<String, ZMQError>?>(nil)
        let running = self.running
        let stopped = self.stopped
        let thread = Thread {
            defer { stopped.signal() }
            let socket: Socket
            do throws(ZMQError) {
                socket = try Socket(context, .rep)
                try socket.set(.receiveTimeout, to: .milliseconds(50))
                try socket.set(.linger, to: .zero)
                try socket.bind("tcp://127.0.0.1:*")
                let endpoint = try socket.lastEndpoint
                bound.withLock { $0 = .success(endpoint) }
            } catch {
                bound.withLock { $0 = .failure(error) }
                ready.signal()
                return
            }
            ready.signal()
            defer { socket.close() }
            while running.on.load(ordering: .relaxed) {
                // A timeout (would block) only means no request yet.
                guard (try? socket.receiveMultipart()) != nil else { continue }
                try? socket.send(Array("world".utf8))
            }
        }
        thread.start()
        ready.wait()
        self.endpoint = try bound.withLock { $0 }!.get()
    }

    /// Stops answering and closes the socket, waiting at most a few seconds for the thread.
    func stop() {
        guard self.running.on.exchange(false, ordering: .relaxed) else { return }
        _ = self.stopped.wait(timeout: .now() + 5)
    }

    deinit {
        self.stop()
    }
}
