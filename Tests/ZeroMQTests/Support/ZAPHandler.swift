import Dispatch
import Foundation
import Synchronization
import ZeroMQ

/// A ZAP handler (RFC 27) on its own thread that answers every request with one status.
final class ZAPHandler: Sendable {
    private let stopping = StopFlag()
    private let seen = Mutex<[String]>([])
    private let finished: DispatchSemaphore

    private init(finished: DispatchSemaphore) {
        self.finished = finished
    }

    /// Binds the handler in `context` and returns once it is bound.
    static func start(_ context: Context, status: String) throws -> ZAPHandler {
        let bound = DispatchSemaphore(value: 0)
        let bindError = Box<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let handler = ZAPHandler(finished: done)
        let thread = Thread {
            defer { done.signal() }
            do {
                let socket = try Socket(context, .rep)
                try socket.bind("inproc://zeromq.zap.01")
                bound.signal()
                try handler.serve(socket, status: status)
            } catch {
                bindError.set("\(error)")
                bound.signal()
            }
        }
        thread.start()
        guard bound.wait(timeout: .now() + .seconds(5)) == .success else {
            throw TestFailure(description: "ZAP handler did not start")
        }
        if let error = bindError.get() {
            throw TestFailure(description: "ZAP handler: \(error)")
        }
        return handler
    }

    private func serve(_ socket: Socket, status: String) throws {
        while !self.stopping.isSet {
            guard let request = try receiveMultipart(socket, timeout: .milliseconds(10)) else { continue }
            // version, request id, domain, address, routing id, mechanism, credentials...
            guard request.count >= 6 else { continue }
            self.seen.withLock { $0.append(String(decoding: request[5], as: UTF8.self)) }
            let text = status == "200" ? "OK" : "denied"
            try socket.send(multipart: [Array("1.0".utf8), request[1], Array(status.utf8), Array(text.utf8), [], []])
        }
    }

    /// How many requests the handler answered.
    func requests() -> Int { self.seen.withLock { $0.count } }

    /// The mechanism of each request.
    func mechanisms() -> [String] { self.seen.withLock { $0 } }

    /// Stops the handler and waits (briefly) for its socket to close.
    func stop() {
        self.stopping.set()
        _ = self.finished.wait(timeout: .now() + .seconds(2))
    }
}
