import Corsair
import Foundation
import ShardMap
import Testing
import ZeroMQ

@Suite("Server robustness")
struct ServerRobustnessTests {
    /// Sends `malformed` and then a good request on one DEALER, and returns what came back in
    /// order: the server answers one peer's messages in the order they came, so anything before
    /// the good request's reply is the malformed message's.
    private func exchange(_ endpoint: String, _ malformed: [[UInt8]]) async throws -> [[[UInt8]]] {
        try await onOwnThread {
            let dealer = try RawSocket(.dealer, connectTo: endpoint)
            try dealer.send(malformed)
            try dealer.sendRequest(header(client: ClientID.random(), request: 999), body: [bytes("good")])
            var received: [[[UInt8]]] = []
            while let frames = try dealer.receive() {
                received.append(frames)
                if let reply = try? ReplyMessage.decode(frames: Array(frames.dropFirst())), reply.header.requestID == 999 {
                    return received
                }
            }
            throw TestFailure("the good request after the malformed one got no reply")
        }
    }

    private func badRequest(_ frames: [[UInt8]]) -> ReplyHeader? {
        guard frames.first == [], let reply = try? ReplyMessage.decode(frames: Array(frames.dropFirst())) else { return nil }
        return reply.header.status == .badRequest ? reply.header : nil
    }

    @Test("a broken header whose request id can be read is answered bad request")
    func answeredMalformed() async throws {
        try await withServer(serverConfiguration { $0.maxFramesPerMessage = 8 }, handler: EchoHandler()) { server, endpoint in
            let client = ClientID.random()
            var trailing = try header(client: client, request: 12).encode()
            trailing.append(0)
            var missing = header(client: client, request: 13)
            missing.bodyFrameCount = 2
            var extra = header(client: client, request: 14)
            extra.bodyFrameCount = 0
            var tooMany = try header(client: client, request: 15).encode()
            tooMany[6] = 0
            tooMany[7] = 10
            let cases: [(frames: [[UInt8]], requestID: UInt64)] = [
                ([[], trailing], 12),
                ([[], try missing.encode(), bytes("only one")], 13),
                ([[], try extra.encode(), bytes("unannounced")], 14),
                ([[], tooMany] + Array(repeating: bytes("f"), count: 10), 15),
            ]
            for (frames, requestID) in cases {
                let received = try await self.exchange(endpoint, frames)
                #expect(received.count == 2, "request \(requestID)")
                let answer = try #require(received.first.flatMap(self.badRequest))
                #expect(answer.requestID == requestID)
                #expect(!answer.detail.isEmpty)
            }
            #expect(server.statistics.malformedMessages == cases.count)
            #expect(server.statistics.replies(.badRequest) == cases.count)
        }
    }

    @Test("a request over the byte bound (all frames together) is answered bad request before its handler, and the server keeps serving", arguments: [
        // A small configured bound, and the default (64 MiB) against five frames each under the 16 MiB frame limit.
        (bound: 64 << 10, frames: 8, frameSize: 16 << 10),
        (bound: nil, frames: 5, frameSize: (16 << 20) - 64),
    ] as [(bound: Int?, frames: Int, frameSize: Int)])
    func requestTooLarge(_ sizes: (bound: Int?, frames: Int, frameSize: Int)) async throws {
        let runs = Tally()
        let handler = ClosureRequestHandler { request in
            runs.increment()
            return ServerReply(request.body)
        }
        let configuration = serverConfiguration { configuration in
            // Set the way a map file's server.max_request_size sets it.
            if let bound = sizes.bound { configuration.apply(ServerSettings(maxRequestSize: bound)) }
        }
        #expect(configuration.maxRequestBytes == sizes.bound ?? 64 << 20)
        try await withServer(configuration, handler: handler) { server, endpoint in
            var large = header(client: ClientID.random(), request: 31)
            large.bodyFrameCount = UInt16(sizes.frames)
            let body = Array(repeating: [UInt8](repeating: 0x61, count: sizes.frameSize), count: sizes.frames)
            let received = try await self.exchange(endpoint, [[], try large.encode()] + body)
            #expect(received.count == 2)
            let answer = try #require(received.first.flatMap(self.badRequest))
            #expect(answer.requestID == 31)
            #expect(answer.detail.contains("bytes; at most"), "\(answer.detail)")
            // Only the good request after it ran; the large one never reached the handler.
            #expect(runs.count == 1)
            #expect(server.statistics.malformedMessages == 1)
            // Just under the bound passes.
            let engine = try patientEngine()
            let fits = [UInt8](repeating: 0x62, count: min(sizes.frameSize, (sizes.bound ?? 64 << 20) / 2))
            let reply = try await engine.request([fits], to: Endpoint(endpoint))
            #expect(reply.body == [fits])
            await engine.shutdown()
        }
    }

    @Test("a version-1 request is answered bad request in version 1's layout, and its handler never runs")
    func obsoleteVersionAnswered() async throws {
        let runs = Tally()
        let handler = ClosureRequestHandler { request in
            runs.increment()
            return ServerReply(request.body)
        }
        try await withServer(handler: handler) { server, endpoint in
            var old = try header(client: ClientID.random(), request: 21).encode()
            old[4] = 1
            let received = try await self.exchange(endpoint, [[], old])
            #expect(received.count == 2)
            // The first message answers the old request (the second, the good one after it).
            let answer = try #require(received.first?.last)
            #expect(answer.count >= 32)
            #expect(Array(answer.prefix(6)) == [UInt8]([0x43, 0x52, 0x53, 0x52, 1, 2]))
            #expect(answer.count > 8 && answer[8] == ReplyStatus.badRequest.rawValue)
            #expect(answer.count >= 18 && answer[10..<18].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } == 21)
            #expect(String(decoding: answer.dropFirst(32), as: UTF8.self).contains("version 1"))
            #expect(runs.count == 1)  // the good request that follows, only
            #expect(server.statistics.replies(.badRequest) == 1)
        }
    }

    @Test("a message that cannot be answered is counted and dropped")
    func droppedMalformed() async throws {
        try await withServer(handler: EchoHandler()) { server, endpoint in
            // An unknown version's layout is unknown, so its request id cannot be trusted either.
            var wrongVersion = try header(client: ClientID.random(), request: 11).encode()
            wrongVersion[4] = 9
            let cases: [[[UInt8]]] = [
                [[], wrongVersion],
                [bytes("no delimiter at all")],
                [[]],
                [[], [0x43, 0x52, 0x53, 0x52, 1, 1, 0, 0, 0]],
                [[], [0x43, 0x52, 0x53, 0x52, 1, 2] + Array(repeating: 0, count: 40)],
            ]
            for frames in cases {
                let received = try await self.exchange(endpoint, frames)
                #expect(received.count == 1, "\(frames) got an answer")
            }
            #expect(server.statistics.malformedMessages == cases.count)
        }
    }

    @Test("10,000 random malformed messages leave the server serving")
    func randomGarbage() async throws {
        let configuration = serverConfiguration { $0.maxFramesPerMessage = 32 }
        try await withServer(configuration, handler: EchoHandler()) { server, endpoint in
            let start = ContinuousClock.now
            let sent = try await onOwnThread { () -> Int in
                var random = SplitMix64(seed: 0xC0FFEE)
                let dealers = try (0..<4).map { _ in try RawSocket(.dealer, connectTo: endpoint) }
                for index in 0..<10_000 {
                    let dealer = dealers[index % dealers.count]
                    try dealer.send(Self.garbage(using: &random))
                    // Keep the replies to raw and bad requests from filling the queues.
                    while (try? dealer.socket.events.contains(.readable)) == true {
                        _ = try dealer.socket.receiveMultipart(dontWait: true)
                    }
                }
                // The server reads each connection in order, so once a last good request is
                // answered, everything sent before it on that connection has been dealt with
                // (and closing with LINGER 0 cannot discard any of it).
                let client = ClientID.random()
                for (index, dealer) in dealers.enumerated() {
                    try dealer.sendRequest(header(client: client, request: UInt64(1_000_000 + index)), body: [bytes("last")])
                    var answered = false
                    while !answered, let frames = try dealer.receive() {
                        // Answered at all (ok, or overloaded by the raw requests' handlers) is what counts.
                        if let reply = try? ReplyMessage.decode(frames: Array(frames.dropFirst())),
                           reply.header.requestID == UInt64(1_000_000 + index)
                        {
                            answered = true
                        }
                    }
                    guard answered else { throw TestFailure("the last request on connection \(index) got no reply") }
                }
                return 10_000
            }
            #expect(sent == 10_000)
            // Still serving, to a fresh client and an old-style one alike.
            let engine = try makeEngine(testPolicy(attempts: 3, timeout: .seconds(5)))
            let reply = try await engine.request(bytes("still here"), to: Endpoint(endpoint))
            #expect(reply.bytes == bytes("still here"))
            await engine.shutdown()
            let statistics = server.statistics
            #expect(statistics.malformedMessages > 5_000)
            #expect(start.duration(to: .now) < .seconds(30))
        }
    }

    /// One random message that breaks the protocol in one of several ways, or is raw.
    static func garbage(using random: inout SplitMix64) -> [[UInt8]] {
        func bytes(_ count: Int) -> [UInt8] {
            (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
        }
        let magic: [UInt8] = [0x43, 0x52, 0x53, 0x52]
        var valid = (try? RequestHeader(
            clientID: ClientID.random(using: &random),
            requestID: random.next(),
            remainingDeadline: .seconds(5),
            shardID: Bool.random(using: &random) ? "shard" : nil,
            bodyFrameCount: UInt16.random(in: 0...3, using: &random)
        ).encode()) ?? magic
        switch Int.random(in: 0..<9, using: &random) {
        case 0:
            // No delimiter: random non-empty frames.
            return (0..<Int.random(in: 1...4, using: &random)).map { _ in bytes(Int.random(in: 1...40, using: &random)) }
        case 1:
            // A delimiter and nothing after it.
            return [[]]
        case 2:
            // The magic, then noise of any length.
            return [[], magic + bytes(Int.random(in: 2...80, using: &random))]
        case 3:
            // A good header, cut short.
            return [[], Array(valid.prefix(Int.random(in: 6..<valid.count, using: &random)))]
        case 4:
            // A good header with one byte of its fixed part changed.
            let offset = Int.random(in: 4..<min(valid.count, 47), using: &random)
            valid[offset] ^= UInt8.random(in: 1...255, using: &random)
            return [[], valid]
        case 5:
            // A good header followed by the wrong number of body frames.
            let declared = Int(valid[7])
            let count = (declared + Int.random(in: 1...3, using: &random)) % 5
            return [[], valid] + (0..<count).map { _ in bytes(Int.random(in: 0...8, using: &random)) }
        case 6:
            // Far too many frames.
            return [[], valid] + (0..<40).map { _ in bytes(1) }
        case 7:
            // A reply header where a request belongs.
            return [[], magic + [1, 2] + bytes(Int.random(in: 26...40, using: &random))]
        default:
            // Raw noise, which the server serves in raw mode.
            var frame = bytes(Int.random(in: 1...20, using: &random))
            if frame[0] == 0x43 { frame[0] = 0 }
            return [[], frame]
        }
    }

    @Test("a reply to a client that has gone is counted and dropped, and never blocks")
    func unroutableReply() async throws {
        let gate = Gate()
        let runs = Tally()
        let handler = ClosureRequestHandler { request in
            runs.increment()
            await gate.wait()
            return ServerReply(request.body)
        }
        try await withServer(handler: handler) { server, endpoint in
            try await onOwnThread {
                let dealer = try RawSocket(.dealer, connectTo: endpoint)
                try dealer.sendRequest(header(client: ClientID.random(), request: 1), body: [bytes("bye")])
                guard spinUntil({ runs.count == 1 }) else { throw TestFailure("the handler never started") }
                dealer.close()
            }
            // The server's libzmq drops the peer as soon as the loopback connection closes; give
            // it a moment so the reply finds the peer gone rather than a dying pipe.
            try await Task.sleep(for: .milliseconds(200))
            gate.open()
            #expect(await waitUntil { server.statistics.unroutableReplies == 1 })
            // And the server goes on serving.
            let engine = try patientEngine()
            #expect(try await engine.request(bytes("next"), to: Endpoint(endpoint)).bytes == bytes("next"))
            await engine.shutdown()
        }
    }
}
