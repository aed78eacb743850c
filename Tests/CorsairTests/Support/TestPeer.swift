import Corsair
import Foundation
import Synchronization
import ZeroMQ

/// A server for tests: a thread with a ROUTER socket that answers each request as `behavior` says.
///
/// Written with the ZeroMQ binding, not Corsair's server, so engine tests do not depend on it.
final class TestPeer: Sendable {
    enum Action: Sendable {
        /// Answer with these frames (a Corsair reply header and body, or raw frames).
        case reply([[UInt8]])
        /// Answer after a delay, without blocking other requests.
        case replyAfter(Duration, [[UInt8]])
        /// Answer with several messages, in order (a pipelined peer's duplicates and strays).
        case replies([[[UInt8]]])
        /// Never answer.
        case drop
    }

    struct Request: Sendable {
        let frames: [[UInt8]]
        /// The decoded Corsair header, when the request had one.
        let header: RequestHeader?
        let body: [[UInt8]]
        /// The ROUTER's routing id of the connection the request came on.
        let routingID: [UInt8]
    }

    let endpoint: String
    private let stopFlag = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    private let received = Atomic<Int>(0)

    /// Requests received so far.
    var requestCount: Int { self.received.load(ordering: .relaxed) }

    /// Binds `endpoint` (default: a wildcard TCP port) and starts answering.
    init(
        bind endpoint: String = "tcp://127.0.0.1:*",
        behavior: @escaping @Sendable (Request) -> Action
    ) throws {
        let context = try Context()
        let socket = try Socket(context, .router)
        try socket.bind(endpoint)
        self.endpoint = try socket.lastEndpoint
        // The socket moves to the peer's thread and is used only there from now on.
        let transfer = SocketTransfer(socket)
        Thread { [self] in
            self.serve(transfer.socket, behavior: behavior)
        }.start()
    }

    private func serve(_ socket: Socket, behavior: @Sendable (Request) -> Action) {
        var delayed: [(due: ContinuousClock.Instant, frames: [[UInt8]])] = []
        let clock = ContinuousClock()
        while !self.stopFlag.load(ordering: .acquiring) {
            var poller = Poller()
            poller.add(socket, events: .readable)
            let wait = delayed.map { clock.now.duration(to: $0.due) }.min().map { max($0, .zero) } ?? .milliseconds(20)
            _ = try? poller.poll(timeout: min(wait, .milliseconds(20)))
            let now = clock.now
            for item in delayed where item.due <= now {
                try? socket.send(multipart: item.frames, dontWait: true)
            }
            delayed.removeAll { $0.due <= now }
            guard poller.events(at: 0).contains(.readable),
                  let frames = try? socket.receiveMultipart(dontWait: true),
                  let delimiter = frames.firstIndex(where: { $0.isEmpty })
            else { continue }
            self.received.wrappingAdd(1, ordering: .relaxed)
            let envelope = Array(frames[...delimiter])
            let content = Array(frames[(delimiter + 1)...])
            var header: RequestHeader?
            var body = content
            if let first = content.first, let decoded = try? RequestHeader.decode(first) {
                header = decoded
                body = Array(content.dropFirst())
            }
            switch behavior(Request(frames: content, header: header, body: body, routingID: frames[0])) {
            case .reply(let reply):
                try? socket.send(multipart: envelope + reply, dontWait: true)
            case .replyAfter(let delay, let reply):
                delayed.append((clock.now.advanced(by: delay), envelope + reply))
            case .replies(let replies):
                for reply in replies {
                    try? socket.send(multipart: envelope + reply, dontWait: true)
                }
            case .drop:
                break
            }
        }
        socket.close()
        self.finished.store(true, ordering: .releasing)
    }

    /// Stops answering and waits until the socket is closed, as a killed server would be.
    ///
    /// Waits without blocking a thread: tests share a small cooperative pool.
    func stop() async {
        self.stopFlag.store(true, ordering: .releasing)
        _ = await waitUntil(timeout: .seconds(5)) { self.finished.load(ordering: .acquiring) }
    }

    deinit {
        // The thread notices within one poll interval and closes the socket itself.
        self.stopFlag.store(true, ordering: .releasing)
    }

    // MARK: Replies

    /// A Corsair reply to `request` with the given status and body.
    static func reply(
        to request: Request,
        status: ReplyStatus = .ok,
        body: [[UInt8]]? = nil,
        retryAfter: Duration = .zero,
        detail: String = "",
        requestID: UInt64? = nil
    ) -> [[UInt8]] {
        let body = body ?? request.body
        let header = ReplyHeader(
            status: status,
            requestID: requestID ?? request.header?.requestID ?? 0,
            epoch: 0,
            retryAfter: retryAfter,
            detail: detail,
            bodyFrameCount: UInt16(body.count)
        )
        return [header.encode()] + body
    }

    /// Echoes every Corsair request with status ok.
    static let echo: @Sendable (Request) -> Action = { request in
        .reply(TestPeer.reply(to: request))
    }
}

/// Hands a socket to the thread that will own it from then on.
struct SocketTransfer: @unchecked Sendable {
    // @unchecked Sendable: the creating thread drops its reference right after the hand-over, so the
    // socket is only ever used by the receiving thread.
    let socket: Socket
    init(_ socket: Socket) { self.socket = socket }
}

/// Waits for a condition with a deadline, checking every few milliseconds.
func waitUntil(
    timeout: Duration = .seconds(30),
    _ condition: () -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// Open file descriptors of this process.
func openFileDescriptorCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
}

/// A unique ipc endpoint in the temporary directory.
func uniqueIPCEndpoint() -> String {
    "ipc://\(NSTemporaryDirectory())corsair-test-\(UUID().uuidString.prefix(12))"
}

/// UTF-8 bytes of a string.
func bytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}
