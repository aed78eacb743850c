import Corsair
import Foundation
import Synchronization
import Testing
import ZeroMQ

/// Pipelined mode against real sockets: one DEALER connection per endpoint, replies matched by id.
@Suite("Client engine: pipelined mode")
struct PipelinedEngineTests {
    static func policy(attempts: Int = 3, timeout: Duration = .seconds(2), deadline: Duration? = .seconds(20)) -> RetryPolicy {
        testPolicy(attempts: attempts, timeout: timeout, deadline: deadline, mode: .pipelined)
    }

    /// Runs `count` requests at once, checking each reply carries its own body.
    static func concurrent(
        _ count: Int,
        on engine: ClientEngine,
        to endpoint: Endpoint,
        prefix: String = "r"
    ) async throws -> [Reply] {
        try await withThrowingTaskGroup(of: Reply.self) { group in
            for index in 0..<count {
                group.addTask {
                    let reply = try await engine.request(bytes("\(prefix)\(index)"), to: endpoint)
                    #expect(reply.bytes == bytes("\(prefix)\(index)"))
                    return reply
                }
            }
            var replies: [Reply] = []
            for try await reply in group {
                replies.append(reply)
            }
            return replies
        }
    }

    @Test("many requests share one connection, each matched to its own reply whatever the order of replies")
    func sharedConnection() async throws {
        let connections = Mutex<Set<[UInt8]>>([])
        let peer = try TestPeer { request in
            connections.withLock { _ = $0.insert(request.routingID) }
            // Replies come back out of order: only the request id ties them to their requests.
            let delay = Duration.milliseconds(Int64((request.header?.requestID ?? 0) % 7) * 5)
            return .replyAfter(delay, TestPeer.reply(to: request))
        }
        let engine = try makeEngine(Self.policy())
        let replies = try await Self.concurrent(200, on: engine, to: Endpoint(peer.endpoint))
        #expect(replies.allSatisfy { $0.attempts == 1 })
        #expect(connections.withLock { $0.count } == 1)
        await engine.shutdown()
    }

    @Test("one slow request among answered ones times out alone and is resent with the same id on the same connection")
    func slowAmongFast() async throws {
        let connections = Mutex<Set<[UInt8]>>([])
        let slowAttempts = Mutex<[(id: UInt64, attempt: UInt16)]>([])
        let peer = try TestPeer { request in
            connections.withLock { _ = $0.insert(request.routingID) }
            if request.body == [bytes("slow")], let header = request.header {
                slowAttempts.withLock { $0.append((header.requestID, header.attempt)) }
                // The slow handler: its first attempt never finishes.
                return header.attempt == 1 ? .drop : .reply(TestPeer.reply(to: request))
            }
            return .reply(TestPeer.reply(to: request))
        }
        let timeout = Duration.seconds(3)
        let engine = try makeEngine(Self.policy(timeout: timeout))
        let endpoint = Endpoint(peer.endpoint)
        let slowDone = Atomic<Bool>(false)
        var lastReply = ContinuousClock.now
        var longestSilence = Duration.zero
        var fastRetried = 0
        let slow = Task {
            defer { slowDone.store(true, ordering: .releasing) }
            return try await engine.request(bytes("slow"), to: endpoint)
        }
        // Fast requests keep the connection visibly alive while the slow one waits.
        var fast = 0
        let limit = ContinuousClock.now.advanced(by: .seconds(60))
        while !slowDone.load(ordering: .acquiring), ContinuousClock.now < limit {
            let reply = try await engine.request(bytes("fast-\(fast)"), to: endpoint)
            fastRetried += reply.attempts > 1 ? 1 : 0
            longestSilence = max(longestSilence, lastReply.duration(to: .now))
            lastReply = .now
            fast += 1
        }
        let reply = try await slow.value
        #expect(reply.bytes == bytes("slow"))
        #expect(reply.attempts == 2)
        let seen = slowAttempts.withLock { $0 }
        #expect(seen.map(\.attempt) == [1, 2])
        #expect(Set(seen.map(\.id)).count == 1, "the resend must keep the request id")
        // A machine stalled for a whole attempt timeout leaves the connection truly silent, and
        // rebuilding it is then right; otherwise the fast replies kept it.
        if longestSilence < timeout - .milliseconds(500) {
            #expect(fastRetried == 0, "\(fastRetried) fast requests were retried")
            #expect(connections.withLock { $0.count } == 1, "the connection was rebuilt; longest silence \(longestSilence)")
        }
        #expect(fast > 0)
        await engine.shutdown()
    }

    @Test("a connection silent for an attempt timeout is rebuilt and every request on it resent there, none lost")
    func deadConnectionRebuilt() async throws {
        let seen = Mutex<[UInt64: [(attempt: UInt16, connection: [UInt8])]]>([:])
        let peer = try TestPeer { request in
            guard let header = request.header else { return .drop }
            seen.withLock { $0[header.requestID, default: []].append((header.attempt, request.routingID)) }
            // Nothing is answered on the first connection: to the client it is dead.
            return header.attempt == 1 ? .drop : .reply(TestPeer.reply(to: request))
        }
        let engine = try makeEngine(Self.policy(timeout: .milliseconds(400)))
        let replies = try await Self.concurrent(20, on: engine, to: Endpoint(peer.endpoint))
        #expect(replies.allSatisfy { $0.attempts == 2 })
        let log = seen.withLock { $0 }
        #expect(log.count == 20)
        for (id, sends) in log {
            #expect(sends.map(\.attempt) == [1, 2], "request \(id): \(sends.map(\.attempt))")
        }
        let first = Set(log.values.compactMap { $0.first?.connection })
        let second = Set(log.values.compactMap { $0.last?.connection })
        #expect(first.count == 1 && second.count == 1 && first != second, "resent on a new connection")
        await engine.shutdown()
    }

    @Test("a per-request deadline holds on a shared connection while other requests are answered")
    func perRequestDeadline() async throws {
        let peer = try TestPeer { request in
            request.body == [bytes("never")] ? .drop : .reply(TestPeer.reply(to: request))
        }
        let engine = try makeEngine(Self.policy(timeout: .milliseconds(300)))
        let endpoint = Endpoint(peer.endpoint)
        var options = RequestOptions()
        options.retry = Self.policy(attempts: 10, timeout: .milliseconds(300), deadline: .milliseconds(900))
        let never = Task { () throws(CorsairError) -> Reply in
            try await engine.request([bytes("never")], to: endpoint, options: options)
        }
        let replies = try await Self.concurrent(50, on: engine, to: endpoint)
        #expect(replies.allSatisfy { $0.attempts == 1 })
        let result = await never.result
        guard case .failure(let error) = result else {
            Issue.record("a request nobody answers succeeded")
            return
        }
        #expect((error as? CorsairError)?.code == .deadlineExceeded, "\(error)")
        await engine.shutdown()
    }

    @Test("stray replies (junk, unknown ids, duplicates) are dropped and the connection carries on")
    func strayReplies() async throws {
        let peer = try TestPeer { request in
            guard let id = request.header?.requestID else { return .drop }
            let real = TestPeer.reply(to: request)
            return .replies([
                [[0xFF, 0x00, 0x13]],
                TestPeer.reply(to: request, body: [bytes("not yours")], requestID: id &+ 1_000_000),
                real,
                real,
            ])
        }
        let engine = try makeEngine(Self.policy())
        let endpoint = Endpoint(peer.endpoint)
        for round in 0..<3 {
            let replies = try await Self.concurrent(50, on: engine, to: endpoint, prefix: "round\(round)-")
            #expect(replies.allSatisfy { $0.attempts == 1 })
        }
        await engine.shutdown()
    }

    @Test("a peer that stops reading: sends wait without blocking the engine, and deadlines still hold")
    func highWaterMark() async throws {
        let context = try Context()
        let stuck = try Socket(context, .router)
        try stuck.set(.receiveHighWaterMark, to: 1)
        try stuck.bind("tcp://127.0.0.1:*")
        let stuckEndpoint = Endpoint(try stuck.lastEndpoint)
        let echo = try TestPeer { .reply(TestPeer.reply(to: $0)) }
        var configuration = ClientEngine.Configuration(retry: Self.policy(attempts: 2, timeout: .milliseconds(400), deadline: .milliseconds(1200)))
        configuration.pipelineHighWaterMark = 1
        let engine = try ClientEngine(configuration: configuration)
        let body = [UInt8](repeating: 7, count: 512 * 1024)
        let start = ContinuousClock.now
        let failures = Task {
            await withTaskGroup(of: CorsairError?.self) { group in
                for _ in 0..<60 {
                    group.addTask {
                        do throws(CorsairError) {
                            _ = try await engine.request(body, to: stuckEndpoint)
                            return nil
                        } catch {
                            return error
                        }
                    }
                }
                var errors: [CorsairError?] = []
                for await error in group {
                    errors.append(error)
                }
                return errors
            }
        }
        // While the stuck connection is full, the engine still serves another endpoint.
        let reply = try await engine.request(bytes("through"), to: Endpoint(echo.endpoint))
        #expect(reply.bytes == bytes("through"))
        let errors = await failures.value
        let waited = start.duration(to: .now)
        #expect(errors.allSatisfy { $0?.code == .deadlineExceeded || $0?.code == .abandoned }, "\(errors.prefix(3))")
        // A full connection is back-pressure, not a failed send: the requests waited in the engine.
        #expect(!errors.contains { "\($0.map { "\($0)" } ?? "")".contains("send failed") }, "\(errors.prefix(3))")
        #expect(waited < .seconds(30), "deadlines did not hold: \(waited)")
        await engine.shutdown()
        stuck.close()
    }

    @Test("requests held back at the high-water mark go out once a slow peer reads again, each sent once")
    func highWaterMarkDrains() async throws {
        let context = try Context()
        let slow = try Socket(context, .router)
        try slow.set(.receiveHighWaterMark, to: 1)
        try slow.set(.receiveTimeout, to: .milliseconds(50))
        try slow.bind("tcp://127.0.0.1:*")
        let endpoint = Endpoint(try slow.lastEndpoint)
        let reader = SlowReader()
        let transfer = SocketTransfer(slow)
        Thread { reader.serve(transfer.socket) }.start()
        var configuration = ClientEngine.Configuration(retry: Self.policy(attempts: 1, timeout: .seconds(60), deadline: .seconds(60)))
        configuration.pipelineHighWaterMark = 1
        let engine = try ClientEngine(configuration: configuration)
        let body = [UInt8](repeating: 9, count: 256 * 1024)
        try await withThrowingTaskGroup(of: Reply.self) { group in
            for _ in 0..<40 {
                group.addTask { try await engine.request(body, to: endpoint) }
            }
            for try await reply in group {
                #expect(reply.attempts == 1)
                #expect(reply.bytes.count == body.count)
            }
        }
        #expect(reader.received.load(ordering: .relaxed) == 40, "each request reached the peer once")
        await engine.shutdown()
        reader.stopped.store(true, ordering: .releasing)
    }
}

/// A ROUTER peer that reads one request every few milliseconds and echoes it: slower than a
/// client can send large requests, so the client's sends meet the high-water mark.
private final class SlowReader: Sendable {
    let stopped = Atomic<Bool>(false)
    let received = Atomic<Int>(0)

    func serve(_ socket: Socket) {
        while !self.stopped.load(ordering: .acquiring) {
            guard let frames = try? socket.receiveMultipart(), frames.count >= 3,
                  let header = try? RequestHeader.decode(frames[2])
            else { continue }
            self.received.wrappingAdd(1, ordering: .relaxed)
            Thread.sleep(forTimeInterval: 0.005)
            let request = TestPeer.Request(frames: Array(frames[2...]), header: header, body: Array(frames[3...]), routingID: frames[0])
            try? socket.send(multipart: Array(frames[..<2]) + TestPeer.reply(to: request))
        }
        socket.close()
    }
}
