import Corsair
import Foundation
import Logging
import Synchronization
import ZeroMQ

/// A server configuration on a wildcard loopback port, with test-friendly limits.
func serverConfiguration(
    _ adjust: (inout CorsairServer.Configuration) -> Void = { _ in }
) -> CorsairServer.Configuration {
    var configuration = CorsairServer.Configuration(endpoints: ["tcp://127.0.0.1:*"])
    configuration.drainTimeout = .seconds(5)
    adjust(&configuration)
    return configuration
}

/// Runs `server` while `body` runs, then stops it by cancellation and waits until it has stopped.
@discardableResult
func withRunning<T>(
    _ server: CorsairServer,
    _ body: (String) async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        do {
            let result = try await body(try await server.boundEndpoints[0])
            group.cancelAll()
            try await group.waitForAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// Makes a server with `handler` and runs it while `body` runs.
@discardableResult
func withServer<T>(
    _ configuration: CorsairServer.Configuration = serverConfiguration(),
    handler: some RequestHandler,
    _ body: (CorsairServer, String) async throws -> T
) async throws -> T {
    let server = try CorsairServer(configuration: configuration, handler: handler)
    return try await withRunning(server) { endpoint in try await body(server, endpoint) }
}

/// Runs blocking socket work on a thread of its own, so it never holds one of the few threads of
/// Swift's cooperative pool, which the server's handlers need.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
        let thread = Thread {
            continuation.resume(returning: Result { try body() })
        }
        thread.start()
    }
    return try result.get()
}

/// A plain ZeroMQ socket for tests that need to send what `ClientEngine` never would: duplicates,
/// garbage, hand-made headers. Used only on the thread that made it (see ``onOwnThread(_:)``).
final class RawSocket {
    let context: Context
    let socket: Socket

    init(_ kind: SocketKind, connectTo endpoint: String, configure: (Socket) throws -> Void = { _ in }) throws {
        self.context = try Context()
        self.socket = try Socket(self.context, kind)
        try configure(self.socket)
        try self.socket.connect(endpoint)
    }

    func send(_ frames: [[UInt8]]) throws {
        try self.socket.send(multipart: frames)
    }

    /// Receives one message, or `nil` when none came within `timeout`.
    func receive(timeout: Duration = .seconds(20)) throws -> [[UInt8]]? {
        var poller = Poller()
        poller.add(self.socket, events: .readable)
        guard try poller.poll(timeout: timeout) > 0 else { return nil }
        return try self.socket.receiveMultipart()
    }

    /// Sends a Corsair request from a DEALER: delimiter, header, body.
    func sendRequest(_ header: RequestHeader, body: [[UInt8]]) throws {
        var header = header
        header.bodyFrameCount = UInt16(body.count)
        try self.send([[], try header.encode()] + body)
    }

    /// Receives a Corsair reply on a DEALER and decodes it.
    func receiveReply(timeout: Duration = .seconds(20)) throws -> (header: ReplyHeader, body: [[UInt8]])? {
        guard let frames = try self.receive(timeout: timeout) else { return nil }
        guard frames.first == [] else { throw TestFailure("reply without a delimiter: \(frames)") }
        return try ReplyMessage.decode(frames: Array(frames.dropFirst()))
    }

    func close() {
        self.socket.close()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A request header for hand-made requests.
func header(
    client: ClientID,
    request: UInt64,
    attempt: UInt16 = 1,
    deadline: Duration? = .seconds(10),
    shard: String? = nil,
    epoch: UInt64 = 0
) -> RequestHeader {
    RequestHeader(
        clientID: client,
        requestID: request,
        attempt: attempt,
        remainingDeadline: deadline,
        epoch: epoch,
        shardID: shard
    )
}

/// A thread-safe count, for handler runs and the like.
final class Tally: Sendable {
    private let value = Atomic<Int>(0)

    var count: Int { self.value.load(ordering: .acquiring) }

    @discardableResult
    func increment() -> Int {
        self.value.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
    }

    func decrement() {
        self.value.wrappingSubtract(1, ordering: .acquiringAndReleasing)
    }
}

/// Holds handlers until the test opens it.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = self.state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = self.state.withLock { state in
            state.open = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Blocks the calling (non-pool) thread until `condition` holds or `timeout` passes.
func spinUntil(timeout: Duration = .seconds(30), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.002)
    }
    return condition()
}

/// An engine whose attempts outlast any scheduling hiccup of a loaded test machine, for tests that
/// count replies or attempts and must not see a retry. (5 s was not enough: with every suite
/// starting at once on two cores, a first request once waited longer and was answered twice.)
func patientEngine() throws -> ClientEngine {
    try makeEngine(testPolicy(attempts: 3, timeout: .seconds(30), deadline: .seconds(90)))
}

/// Keeps what a logger was told, for tests that check what the server reports and how.
final class LogCapture: Sendable {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    var logger: Logger {
        Logger(label: "test.capture") { _ in Handler(capture: self) }
    }

    /// The records whose message starts with `prefix`.
    func records(startingWith prefix: String) -> [Record] {
        self.records.withLock { $0.filter { $0.message.hasPrefix(prefix) } }
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = self.metadata.merging(event.metadata ?? [:]) { _, new in new }
            let record = Record(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" })
            self.capture.records.withLock { $0.append(record) }
        }
    }
}
