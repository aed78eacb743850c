import Corsair
import Foundation
import ShardMap
import Testing
import ZeroMQ

@Suite("Server replay and admission")
struct ServerReplayTests {
    @Test("a request sent again after its reply was sent gets the cached reply; the handler ran once")
    func replayAfterCompletion() async throws {
        let runs = Tally()
        let handler = ClosureRequestHandler { request in
            ServerReply(request.body + [bytes("run \(runs.increment())")])
        }
        try await withServer(handler: handler) { server, endpoint in
            let client = ClientID.random()
            let replies = try await onOwnThread { () -> [(ReplyHeader, [[UInt8]])] in
                let dealer = try RawSocket(.dealer, connectTo: endpoint)
                var replies: [(ReplyHeader, [[UInt8]])] = []
                for attempt in UInt16(1)...2 {
                    try dealer.sendRequest(header(client: client, request: 42, attempt: attempt), body: [bytes("pay")])
                    guard let reply = try dealer.receiveReply() else { throw TestFailure("no reply to attempt \(attempt)") }
                    replies.append(reply)
                }
                return replies
            }
            #expect(runs.count == 1)
            #expect(replies.map(\.0.status) == [.ok, .ok])
            #expect(replies.map(\.0.requestID) == [42, 42])
            #expect(replies[0].1 == [bytes("pay"), bytes("run 1")])
            #expect(replies[1].1 == replies[0].1)
            #expect(server.statistics.replays == 1)
        }
    }

    @Test("a retry that arrives while the first run still runs waits for it; the handler runs once")
    func replayWhileRunning() async throws {
        let runs = Tally()
        let gate = Gate()
        let handler = ClosureRequestHandler { request in
            runs.increment()
            await gate.wait()
            return ServerReply(request.body)
        }
        try await withServer(handler: handler) { server, endpoint in
            let client = ClientID.random()
            let replies = try await onOwnThread { () -> [(ReplyHeader, [[UInt8]])] in
                // The first attempt from one socket; the retries from the same one and from a new
                // socket, as an engine in recreate mode would.
                let first = try RawSocket(.dealer, connectTo: endpoint)
                let second = try RawSocket(.dealer, connectTo: endpoint)
                try first.sendRequest(header(client: client, request: 7, attempt: 1), body: [bytes("slow")])
                guard spinUntil({ runs.count == 1 }) else { throw TestFailure("the handler never started") }
                try first.sendRequest(header(client: client, request: 7, attempt: 2), body: [bytes("slow")])
                try second.sendRequest(header(client: client, request: 7, attempt: 3), body: [bytes("slow")])
                guard spinUntil({ server.statistics.replays == 2 }) else { throw TestFailure("the retries were not joined") }
                gate.open()
                var replies: [(ReplyHeader, [[UInt8]])] = []
                for socket in [first, first, second] {
                    guard let reply = try socket.receiveReply() else { throw TestFailure("a retry got no reply") }
                    replies.append(reply)
                }
                return replies
            }
            #expect(replies.map(\.1) == Array(repeating: [bytes("slow")], count: 3))
            #expect(replies.allSatisfy { $0.0.status == .ok && $0.0.requestID == 7 })
            #expect(runs.count == 1)
        }
    }

    @Test("the client engine's retries of a slow request run the handler once")
    func engineRetriesRunOnce() async throws {
        let runs = Tally()
        let gate = Gate()
        let handler = ClosureRequestHandler { request in
            runs.increment()
            // Held until the engine has timed out and retried on a fresh socket.
            await gate.wait()
            return ServerReply(request.body)
        }
        try await withServer(handler: handler) { server, endpoint in
            let engine = try makeEngine(testPolicy(attempts: 20, timeout: .milliseconds(150)))
            let reply = Task { try await engine.request(bytes("once"), to: Endpoint(endpoint)) }
            #expect(await waitUntil { server.statistics.replays >= 1 })
            gate.open()
            let answer = try await reply.value
            #expect(answer.bytes == bytes("once"))
            #expect(answer.attempts > 1)
            #expect(runs.count == 1)
            await engine.shutdown()
        }
    }

    @Test("with replay off, or past the TTL, a repeated request runs again")
    func replayOffAndExpiry() async throws {
        for configuration in [
            serverConfiguration { $0.replayCacheEntries = 0 },
            serverConfiguration { $0.replayCacheTTL = .milliseconds(20) },
        ] {
            let runs = Tally()
            let handler = ClosureRequestHandler { request in
                runs.increment()
                return ServerReply(request.body)
            }
            try await withServer(configuration, handler: handler) { _, endpoint in
                let client = ClientID.random()
                try await onOwnThread {
                    let dealer = try RawSocket(.dealer, connectTo: endpoint)
                    for _ in 0..<2 {
                        try dealer.sendRequest(header(client: client, request: 1), body: [bytes("x")])
                        guard try dealer.receiveReply() != nil else { throw TestFailure("no reply") }
                        Thread.sleep(forTimeInterval: 0.05)
                    }
                }
                #expect(runs.count == 2)
            }
        }
    }

    @Test("the replay cache keeps replies within its byte bound, newest first, and a file's max_bytes sets it")
    func replayByteBound() async throws {
        let runs = Tally()
        let handler = ClosureRequestHandler { request in
            runs.increment()
            return ServerReply([[UInt8](repeating: 7, count: 1000)])
        }
        // Room for about three 1 kB replies (each reply also has its header frame).
        var settings = ServerSettings()
        settings.replyCache.maxBytes = 3_500
        let configuration = serverConfiguration { $0.apply(settings) }
        #expect(configuration.replayCacheMaxBytes == 3_500)
        try await withServer(configuration, handler: handler) { server, endpoint in
            let client = ClientID.random()
            try await onOwnThread {
                let dealer = try RawSocket(.dealer, connectTo: endpoint)
                func ask(_ request: UInt64) throws {
                    try dealer.sendRequest(header(client: client, request: request), body: [bytes("x")])
                    guard try dealer.receiveReply() != nil else { throw TestFailure("no reply to \(request)") }
                }
                for request in UInt64(1)...10 {
                    try ask(request)
                }
                // The newest replies are still there: asking again replays them.
                try ask(10)
                try ask(9)
                guard runs.count == 10 else { throw TestFailure("replay ran a handler: \(runs.count) runs") }
                // The oldest were evicted to stay within the bound: asking again runs the handler.
                try ask(1)
                guard runs.count == 11 else { throw TestFailure("an evicted reply was replayed") }
            }
            #expect(server.statistics.replays == 2)
        }
    }

    @Test("a reply larger than the byte bound is still kept until the next reply")
    func replayOversizedReply() async throws {
        let runs = Tally()
        let handler = ClosureRequestHandler { request in
            runs.increment()
            return ServerReply([[UInt8](repeating: 1, count: 10_000)])
        }
        try await withServer(serverConfiguration { $0.replayCacheMaxBytes = 1_000 }, handler: handler) { _, endpoint in
            let client = ClientID.random()
            try await onOwnThread {
                let dealer = try RawSocket(.dealer, connectTo: endpoint)
                for request: UInt64 in [1, 1, 2, 1] {
                    try dealer.sendRequest(header(client: client, request: request), body: [bytes("x")])
                    guard try dealer.receiveReply() != nil else { throw TestFailure("no reply to \(request)") }
                }
            }
            // 1 runs, 1 is replayed, 2 runs and evicts 1, so 1 runs again.
            #expect(runs.count == 3)
        }
    }

    @Test("past the in-flight bound the server answers overloaded with its retry-after")
    func overload() async throws {
        let gate = Gate()
        let runs = Tally()
        let configuration = serverConfiguration {
            $0.maxInFlight = 2
            $0.overloadRetryAfter = .milliseconds(250)
        }
        let handler = ClosureRequestHandler { request in
            runs.increment()
            await gate.wait()
            return ServerReply(request.body)
        }
        try await withServer(configuration, handler: handler) { server, endpoint in
            let client = ClientID.random()
            let outcome = try await onOwnThread { () -> [ReplyHeader] in
                let dealer = try RawSocket(.dealer, connectTo: endpoint)
                try dealer.sendRequest(header(client: client, request: 1), body: [bytes("a")])
                try dealer.sendRequest(header(client: client, request: 2), body: [bytes("b")])
                guard spinUntil({ runs.count == 2 }) else { throw TestFailure("handlers did not start") }
                try dealer.sendRequest(header(client: client, request: 3), body: [bytes("c")])
                guard let pushback = try dealer.receiveReply() else { throw TestFailure("no overload reply") }
                gate.open()
                guard let first = try dealer.receiveReply(), let second = try dealer.receiveReply() else {
                    throw TestFailure("the admitted requests got no reply")
                }
                // The turned-away request was not remembered: sent again, it runs.
                try dealer.sendRequest(header(client: client, request: 3, attempt: 2), body: [bytes("c")])
                guard let retried = try dealer.receiveReply() else { throw TestFailure("the retry got no reply") }
                return [pushback.header, first.header, second.header, retried.header]
            }
            #expect(outcome[0].status == .overloaded)
            #expect(outcome[0].requestID == 3)
            #expect(outcome[0].retryAfter == .milliseconds(250))
            #expect(Set(outcome[1...2].map(\.requestID)) == [1, 2])
            #expect(outcome[1...3].allSatisfy { $0.status == .ok })
            #expect(runs.count == 3)
            #expect(server.statistics.overloadReplies == 1)
        }
    }

    @Test("an engine that keeps being pushed back reports overloaded")
    func overloadThroughEngine() async throws {
        let gate = Gate()
        let runs = Tally()
        let configuration = serverConfiguration {
            $0.maxInFlight = 1
            $0.overloadRetryAfter = .milliseconds(20)
        }
        let handler = ClosureRequestHandler { request in
            runs.increment()
            await gate.wait()
            return ServerReply(request.body)
        }
        try await withServer(configuration, handler: handler) { _, endpoint in
            let engine = try makeEngine(testPolicy(attempts: 2, timeout: .seconds(20)))
            async let held = engine.request(bytes("held"), to: Endpoint(endpoint))
            #expect(await waitUntil { runs.count == 1 })
            await #expect {
                _ = try await engine.request(bytes("pushed back"), to: Endpoint(endpoint))
            } throws: { error in
                guard let error = error as? CorsairError else { return false }
                return error.code == .overloaded && error.retryAfter == .milliseconds(20)
            }
            gate.open()
            let heldReply = try await held
            #expect(heldReply.bytes == bytes("held"))
            await engine.shutdown()
        }
    }

    @Test("a request whose deadline ran out is answered expired without running the handler")
    func expiredDeadline() async throws {
        let runs = Tally()
        let handler = ClosureRequestHandler { request in
            runs.increment()
            return ServerReply(request.body)
        }
        try await withServer(handler: handler) { server, endpoint in
            let client = ClientID.random()
            let reply = try await onOwnThread { () -> ReplyHeader? in
                let dealer = try RawSocket(.dealer, connectTo: endpoint)
                // A passed deadline goes on the wire as 1 ms, as the engine sends it.
                try dealer.sendRequest(header(client: client, request: 5, deadline: .zero), body: [bytes("late")])
                return try dealer.receiveReply()?.header
            }
            #expect(reply?.status == .deadlineExpired)
            #expect(reply?.requestID == 5)
            #expect(reply?.detail.isEmpty == false)
            #expect(runs.count == 0)
            #expect(server.statistics.replies(.deadlineExpired) == 1)
        }
    }
}
