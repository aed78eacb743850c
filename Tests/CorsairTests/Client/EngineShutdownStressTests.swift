import Corsair
import Foundation
import Synchronization
import Testing
import ZeroMQ

/// `shutdown()` at random moments while requests arrive: every caller gets an answer, and nothing
/// reaches the server once shutdown began.
@Suite("Engine shutdown under load")
struct EngineShutdownStressTests {
    /// Requests each iteration sends at once, the reproduction size.
    static let callsPerIteration = 8
    static let socketsPerEndpoint = 2

    /// A policy that never retries within an iteration: one attempt that outlives the test, so a
    /// socket that sent keeps its call until shutdown and cannot send again before it.
    static let longPolicy = RetryPolicy(
        attempts: 3,
        attemptTimeout: .seconds(60),
        deadline: nil,
        backoff: Backoff(initial: .zero, maximum: .zero, multiplier: 1, jitter: .none),
        budget: nil,
        circuitBreaker: nil
    )

    @Test("a silent server: every call ends with engine closed, and no request is sent after shutdown began")
    func silentServer() async throws {
        // Requests per engine, by client id. Before shutdown an engine can have sent at most one
        // request per socket (each waits a minute for a reply that never comes), so any request
        // beyond `socketsPerEndpoint` was put on the wire after shutdown() began. This is exact,
        // where a timestamp taken at the server would also count requests still in transit.
        let perClient = Mutex<[ClientID: Int]>([:])
        let peer = try TestPeer { request in
            if let clientID = request.header?.clientID {
                perClient.withLock { $0[clientID, default: 0] += 1 }
            }
            return .drop
        }
        let outcome = try await Self.run(
            iterations: 2000,
            endpoint: Endpoint(peer.endpoint),
            maxPause: .microseconds(300),
            seed: 0x16E1
        ) { result in
            if case .failure(let error) = result, error.code == .engineClosed { return true }
            return false
        }
        #expect(outcome.stranded == 0, "calls that never returned")
        #expect(outcome.unexpected == 0, "calls that ended with something other than engine closed")
        // The engine's own count of sends, which sees a late send even when closing the socket
        // (LINGER 0) keeps it from the wire.
        #expect(outcome.sentAfterShutdown == 0, "requests the engine sent after shutdown began")
        // A late request of the last iteration may still be in transit and go uncounted: that can
        // hide one, never invent one, and thousands of iterations leave plenty to catch.
        let late = perClient.withLock { counts in
            counts.values.reduce(0) { $0 + max(0, $1 - Self.socketsPerEndpoint) }
        }
        #expect(late == 0, "requests that reached the server after shutdown began")
        await peer.stop()
    }

    @Test("an answering server: every call ends with its reply or engine closed")
    func answeringServer() async throws {
        let peer = try TestPeer(behavior: TestPeer.echo)
        let outcome = try await Self.run(
            iterations: 1000,
            endpoint: Endpoint(peer.endpoint),
            maxPause: .milliseconds(4),
            seed: 0x16E2
        ) { result in
            switch result {
            case .success: return true
            case .failure(let error): return error.code == .engineClosed
            }
        }
        #expect(outcome.stranded == 0, "calls that never returned")
        #expect(outcome.unexpected == 0, "calls that ended with something other than a reply or engine closed")
        #expect(outcome.succeeded > 0, "no iteration got a reply in before shutdown")
        await peer.stop()
    }

    @Test("a call submitted after shutdown fails at once, async and blocking")
    func submitAfterShutdown() async throws {
        let engine = try makeEngine()
        await engine.shutdown()
        await #expect {
            _ = try await engine.request(bytes("late"), to: "tcp://127.0.0.1:9")
        } throws: { ($0 as? CorsairError)?.code == .engineClosed }
        #expect {
            _ = try engine.requestBlocking([bytes("late")], to: "tcp://127.0.0.1:9")
        } throws: { ($0 as? CorsairError)?.code == .engineClosed }
    }

    struct Outcome {
        var stranded = 0
        var unexpected = 0
        var succeeded = 0
        /// Sends beyond one per socket; meaningful only against a server that never answers.
        var sentAfterShutdown = 0
    }

    /// Runs `iterations` engines, each receiving `callsPerIteration` concurrent requests (one of
    /// them blocking, on a thread of its own) and `shutdown()` a random 0…`maxPause` after the
    /// callers started: from before the engine took any call to after replies came back.
    static func run(
        iterations: Int,
        endpoint: Endpoint,
        maxPause: Duration,
        seed: UInt64,
        expected: @escaping @Sendable (Result<Reply, CorsairError>) -> Bool
    ) async throws -> Outcome {
        // One context for every engine: making a context per iteration would dominate the run.
        let context = try Context()
        var random = SplitMix64(seed: seed)
        var outcome = Outcome()
        for _ in 0..<iterations {
            let sends = Atomic<Int>(0)
            let engine = try ClientEngine(configuration: .init(
                retry: Self.longPolicy,
                maxSocketsPerEndpoint: Self.socketsPerEndpoint,
                detectHandshakeFailures: false,
                onEvent: { event in
                    if case .attemptSent = event { sends.wrappingAdd(1, ordering: .relaxed) }
                },
                context: context
            ))
            let started = Atomic<Int>(0)
            let returned = Atomic<Int>(0)
            let unexpected = Atomic<Int>(0)
            let succeeded = Atomic<Int>(0)
            let markStarted: @Sendable () -> Void = { started.wrappingAdd(1, ordering: .relaxed) }
            let record: @Sendable (Result<Reply, CorsairError>) -> Void = { result in
                if case .success = result { succeeded.wrappingAdd(1, ordering: .relaxed) }
                if !expected(result) { unexpected.wrappingAdd(1, ordering: .relaxed) }
                returned.wrappingAdd(1, ordering: .releasing)
            }
            for index in 0..<Self.callsPerIteration {
                if index == 0 {
                    DispatchQueue.global().async {
                        markStarted()
                        do throws(CorsairError) {
                            record(.success(try engine.requestBlocking([bytes("b")], to: endpoint)))
                        } catch {
                            record(.failure(error))
                        }
                    }
                } else {
                    Task {
                        markStarted()
                        do throws(CorsairError) {
                            record(.success(try await engine.request(bytes("a"), to: endpoint)))
                        } catch {
                            record(.failure(error))
                        }
                    }
                }
            }
            // The callers run on the same small pool as this test: let them reach the engine first.
            _ = await Self.yieldUntil(timeout: .seconds(5)) { started.load(ordering: .relaxed) == Self.callsPerIteration }
            let pauseNanoseconds = Int64(maxPause / .nanoseconds(1))
            let pause = Duration.nanoseconds(Int64.random(in: 0...pauseNanoseconds, using: &random))
            let until = ContinuousClock.now.advanced(by: pause)
            while ContinuousClock.now < until {}
            await engine.shutdown()
            // Calls end within a bound; a stranded one would otherwise hang the test.
            let allReturned = await Self.yieldUntil(timeout: .seconds(5)) {
                returned.load(ordering: .acquiring) == Self.callsPerIteration
            }
            if !allReturned {
                outcome.stranded += Self.callsPerIteration - returned.load(ordering: .acquiring)
            }
            outcome.unexpected += unexpected.load(ordering: .relaxed)
            outcome.succeeded += succeeded.load(ordering: .relaxed)
            outcome.sentAfterShutdown += max(0, sends.load(ordering: .relaxed) - Self.socketsPerEndpoint)
            // Too many stranded iterations would take minutes of waiting: the answer is clear.
            if outcome.stranded > 20 { break }
        }
        return outcome
    }

    /// Waits for a condition with a deadline, yielding between checks: `waitUntil`'s sleeps would
    /// add milliseconds to each of thousands of iterations.
    static func yieldUntil(timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            await Task.yield()
        }
        return true
    }
}
