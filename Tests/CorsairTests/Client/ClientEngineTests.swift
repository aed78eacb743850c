import Corsair
import Foundation
import Synchronization
import Testing
import ZeroMQ

/// A fast policy for tests: short timeouts, no jitter, no budget or breaker unless a test asks.
func testPolicy(
    attempts: Int = 3,
    timeout: Duration = .milliseconds(200),
    deadline: Duration? = .seconds(10),
    mode: RetryPolicy.Mode = .recreate
) -> RetryPolicy {
    RetryPolicy(
        attempts: attempts,
        attemptTimeout: timeout,
        deadline: deadline,
        backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(10), multiplier: 1, jitter: .none),
        budget: nil,
        circuitBreaker: nil,
        mode: mode
    )
}

func makeEngine(_ policy: RetryPolicy = testPolicy(), maxSockets: Int = 64) throws -> ClientEngine {
    try ClientEngine(configuration: .init(retry: policy, maxSocketsPerEndpoint: maxSockets))
}

@Suite("Client engine")
struct ClientEngineTests {
    @Test("the first attempt is answered")
    func replyOnFirstAttempt() async throws {
        let peer = try TestPeer(behavior: TestPeer.echo)
        let engine = try makeEngine()
        let reply = try await engine.request(bytes("hello"), to: Endpoint(peer.endpoint))
        #expect(reply.bytes == bytes("hello"))
        #expect(reply.attempts == 1)
        await engine.shutdown()
    }

    @Test("multipart bodies and the request header reach the server")
    func multipartAndHeader() async throws {
        let seen = Mutex<RequestHeader?>(nil)
        let peer = try TestPeer { request in
            seen.withLock { $0 = request.header }
            return .reply(TestPeer.reply(to: request))
        }
        let engine = try makeEngine()
        let body = [bytes("a"), [], bytes("ccc")]
        let reply = try await engine.request(body, to: Endpoint(peer.endpoint), options: .init(shardID: "s1", epoch: 7))
        #expect(reply.body == body)
        let header = try #require(seen.withLock { $0 })
        #expect(header.clientID == engine.clientID)
        #expect(header.attempt == 1)
        #expect(header.shardID == "s1")
        #expect(header.epoch == 7)
        #expect(header.bodyFrameCount == 3)
        #expect((header.remainingDeadline ?? .zero) > .zero)
        await engine.shutdown()
    }

    @Test("a server that never answers is abandoned after attempts × timeout plus backoff")
    func abandonsHungServer() async throws {
        let peer = try TestPeer { _ in .drop }
        let engine = try makeEngine(testPolicy(attempts: 3, timeout: .milliseconds(200)))
        let start = ContinuousClock.now
        await #expect {
            _ = try await engine.request(bytes("x"), to: Endpoint(peer.endpoint))
        } throws: { error in
            guard let error = error as? CorsairError else { return false }
            return error.code == .abandoned && error.attempts == 3
                && "\(error)".hasPrefix("abandoned after 3 attempts: ")
        }
        let elapsed = start.duration(to: .now)
        // 3 × 200 ms plus 2 × 10 ms of backoff, never earlier; the error and the peer's count prove
        // the attempts. The upper bound only proves it does not hang: scheduling on a loaded 2-core
        // machine once stretched this to 9 s.
        #expect(elapsed >= .milliseconds(620))
        #expect(elapsed < .seconds(60))
        #expect(peer.requestCount == 3)
        await engine.shutdown()
    }

    @Test("a client that starts before its server binds succeeds once it does")
    func clientBeforeServer() async throws {
        let endpoint = uniqueIPCEndpoint()
        // Attempts for a minute: the peer binds whenever a loaded machine lets it (20 × 100 ms once
        // ran out first), and the test ends as soon as it does.
        let engine = try makeEngine(testPolicy(attempts: 600, timeout: .milliseconds(100), deadline: .seconds(90)))
        let sent = Atomic<Int>(0)
        var options = RequestOptions()
        options.onEvent = { event in
            if case .attemptSent = event { sent.wrappingAdd(1, ordering: .relaxed) }
        }
        async let reply = engine.request(bytes("early"), to: Endpoint(endpoint), options: options)
        #expect(await waitUntil { sent.load(ordering: .relaxed) >= 1 })
        let peer = try TestPeer(bind: endpoint, behavior: TestPeer.echo)
        #expect(try await reply.bytes == bytes("early"))
        await peer.stop()
        await engine.shutdown()
    }

    @Test("a server killed mid-request and restarted answers a later attempt")
    func serverRestart() async throws {
        let endpoint = uniqueIPCEndpoint()
        let first = try TestPeer(bind: endpoint) { _ in .drop }
        // Attempts for a minute, ended by the restarted peer's first reply (20 × 150 ms once ran out
        // on a loaded machine before the restart).
        let engine = try makeEngine(testPolicy(attempts: 400, timeout: .milliseconds(150), deadline: .seconds(90)))
        async let reply = engine.request(bytes("survive"), to: Endpoint(endpoint))
        #expect(await waitUntil { first.requestCount >= 1 })
        await first.stop()
        let second = try TestPeer(bind: endpoint, behavior: TestPeer.echo)
        let result = try await reply
        #expect(result.bytes == bytes("survive"))
        #expect(result.attempts >= 2)
        await second.stop()
        await engine.shutdown()
    }

    @Test("a slow server's late reply never answers a later request")
    func lateReplyIsNotMisattributed() async throws {
        let calls = Atomic<Int>(0)
        let peer = try TestPeer { request in
            // The first request's reply comes long after its attempt timed out.
            if calls.wrappingAdd(1, ordering: .relaxed).newValue == 1 {
                return .replyAfter(.milliseconds(400), TestPeer.reply(to: request, body: [bytes("late")]))
            }
            return .reply(TestPeer.reply(to: request))
        }
        let engine = try makeEngine(testPolicy(attempts: 3, timeout: .milliseconds(150)), maxSockets: 1)
        let first = try await engine.request(bytes("one"), to: Endpoint(peer.endpoint))
        #expect(first.bytes == bytes("one"))
        #expect(first.attempts == 2)
        for index in 0..<5 {
            let reply = try await engine.request(bytes("next-\(index)"), to: Endpoint(peer.endpoint))
            #expect(reply.bytes == bytes("next-\(index)"))
        }
        await engine.shutdown()
    }

    @Test("resend mode retries on the same socket and takes a late reply to the same request")
    func resendMode() async throws {
        let calls = Atomic<Int>(0)
        let peer = try TestPeer { request in
            calls.wrappingAdd(1, ordering: .relaxed).newValue == 1 ? .drop : .reply(TestPeer.reply(to: request))
        }
        let engine = try makeEngine(testPolicy(attempts: 3, timeout: .milliseconds(150), mode: .resend))
        let reply = try await engine.request(bytes("again"), to: Endpoint(peer.endpoint))
        #expect(reply.bytes == bytes("again"))
        #expect(reply.attempts == 2)
        await engine.shutdown()
    }

    @Test("server pushback is honoured before the next attempt")
    func pushback() async throws {
        let calls = Atomic<Int>(0)
        let peer = try TestPeer { request in
            if calls.wrappingAdd(1, ordering: .relaxed).newValue == 1 {
                return .reply(TestPeer.reply(to: request, status: .overloaded, body: [], retryAfter: .milliseconds(300)))
            }
            return .reply(TestPeer.reply(to: request))
        }
        let engine = try makeEngine()
        let start = ContinuousClock.now
        let reply = try await engine.request(bytes("busy"), to: Endpoint(peer.endpoint))
        #expect(reply.attempts == 2)
        #expect(start.duration(to: .now) >= .milliseconds(300))
        await engine.shutdown()
    }

    @Test("the retry budget stops retries while the endpoint is down")
    func budgetStopsRetries() async throws {
        let peer = try TestPeer { _ in .drop }
        var policy = testPolicy(attempts: 10, timeout: .milliseconds(50))
        policy.budget = RetryBudget.Configuration(ratio: 0, minPerSecond: 0)
        let engine = try makeEngine(policy)
        await #expect {
            _ = try await engine.request(bytes("x"), to: Endpoint(peer.endpoint))
        } throws: { error in
            (error as? CorsairError)?.code == .retryBudgetExhausted && (error as? CorsairError)?.attempts == 1
        }
        await engine.shutdown()
    }

    @Test("the circuit breaker fails fast once an endpoint keeps failing")
    func breakerFailsFast() async throws {
        let peer = try TestPeer { _ in .drop }
        var policy = testPolicy(attempts: 2, timeout: .milliseconds(400))
        policy.circuitBreaker = CircuitBreaker.Configuration(failures: 2, openFor: .seconds(30))
        let engine = try makeEngine(policy)
        for _ in 0..<2 {
            await #expect(throws: CorsairError.self) {
                _ = try await engine.request(bytes("x"), to: Endpoint(peer.endpoint))
            }
        }
        let before = peer.requestCount
        // Refused without an attempt: nothing sent, so nothing to wait for. (When the breaker
        // decides is the state machine's tests' business, without a clock.)
        await #expect {
            _ = try await engine.request(bytes("x"), to: Endpoint(peer.endpoint))
        } throws: { error in
            (error as? CorsairError)?.code == .circuitOpen && (error as? CorsairError)?.attempts == 0
        }
        #expect(peer.requestCount == before)
        await engine.shutdown()
    }

    @Test("cancelling the caller's task stops the request promptly")
    func cancellation() async throws {
        let peer = try TestPeer { _ in .drop }
        // An attempt timeout far beyond any scheduling delay: the call can only end this soon by
        // being cancelled, however loaded the machine is.
        let engine = try makeEngine(testPolicy(attempts: 100, timeout: .seconds(120), deadline: nil))
        let task = Task {
            try await engine.request(bytes("x"), to: Endpoint(peer.endpoint))
        }
        #expect(await waitUntil { peer.requestCount >= 1 })
        let start = ContinuousClock.now
        task.cancel()
        await #expect {
            _ = try await task.value
        } throws: { error in
            (error as? CorsairError)?.code == .cancelled
        }
        #expect(start.duration(to: .now) < .seconds(60))
        await engine.shutdown()
    }

    @Test("closing the engine fails every request in flight and returns promptly")
    func closeFailsInFlight() async throws {
        let peer = try TestPeer { _ in .drop }
        let engine = try makeEngine(testPolicy(attempts: 100, timeout: .seconds(120), deadline: nil))
        let tasks = (0..<10).map { _ in
            Task { try await engine.request(bytes("x"), to: Endpoint(peer.endpoint)) }
        }
        #expect(await waitUntil { peer.requestCount >= 10 })
        let start = ContinuousClock.now
        await engine.shutdown()
        // Far below the two-minute attempt timeout it would otherwise wait out; no tighter bound.
        #expect(start.duration(to: .now) < .seconds(60))
        for task in tasks {
            await #expect {
                _ = try await task.value
            } throws: { error in
                (error as? CorsairError)?.code == .engineClosed
            }
        }
        await #expect(throws: CorsairError.self) {
            _ = try await engine.request(bytes("after"), to: Endpoint(peer.endpoint))
        }
    }

    @Test("1,000 concurrent requests against one server all succeed")
    func thousandConcurrent() async throws {
        let peer = try TestPeer(behavior: TestPeer.echo)
        let engine = try makeEngine(testPolicy(attempts: 3, timeout: .seconds(5)))
        let endpoint = Endpoint(peer.endpoint)
        let succeeded = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<1000 {
                group.addTask {
                    let reply = try await engine.request(bytes("r\(index)"), to: endpoint)
                    return reply.bytes == bytes("r\(index)")
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(succeeded == 1000)
        await engine.shutdown()
    }

    @Test("running out of sockets makes requests wait, not fail")
    func socketExhaustion() async throws {
        let peer = try TestPeer(behavior: TestPeer.echo)
        // Room for two monitored REQ sockets in the context, while the pool would open ten.
        let engine = try ClientEngine(configuration: .init(
            retry: testPolicy(attempts: 3, timeout: .seconds(5)),
            maxSocketsPerEndpoint: 10,
            maxOpenSockets: 7
        ))
        let endpoint = Endpoint(peer.endpoint)
        let succeeded = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await engine.request(bytes("s\(index)"), to: endpoint).bytes == bytes("s\(index)")
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(succeeded == 40)
        await engine.shutdown()
    }

    @Test("the blocking call works for scripts")
    func blockingCall() async throws {
        let peer = try TestPeer(behavior: TestPeer.echo)
        let engine = try makeEngine()
        let endpoint = Endpoint(peer.endpoint)
        let reply = try await Task.detached {
            try engine.requestBlocking([bytes("sync")], to: endpoint)
        }.value
        #expect(reply.bytes == bytes("sync"))
        await engine.shutdown()
    }

    @Test("raw mode talks to a plain peer that knows nothing of the header")
    func rawMode() async throws {
        let peer = try TestPeer { request in .reply(request.frames.map { $0.reversed() }) }
        let engine = try makeEngine()
        let reply = try await engine.request([bytes("abc")], to: Endpoint(peer.endpoint), options: .init(raw: true))
        #expect(reply.bytes == bytes("cba"))
        await engine.shutdown()
    }
}
