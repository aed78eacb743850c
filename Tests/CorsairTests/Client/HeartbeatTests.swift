import Corsair
import Foundation
import ShardMap
import Synchronization
import Testing
import ZeroMQ

/// ZMTP heartbeats on pipelined connections: the `retry:` settings, the policy, and the engine
/// rebuilding a connection libzmq dropped at once instead of after an attempt timeout.
@Suite("Client engine: heartbeats on pipelined connections")
struct HeartbeatTests {
    static func config(_ retry: String) throws(ShardMapError) -> ClusterConfig {
        try ClusterConfig(parsing: """
            cluster: hb
            epoch: 1
            routing: {strategy: slots, slots: 16384, hash: crc16}
            shards:
              - {id: s0, endpoint: "tcp://127.0.0.1:5555", slots: ["0-16383"]}
            retry:
              mode: pipelined
            \(retry)
            """)
    }

    @Test("the retry section sets, derives and turns off heartbeats")
    func settings() throws {
        #expect(RetryPolicy.default.heartbeat == RetryPolicy.Heartbeat(interval: .seconds(1), timeout: .seconds(3)))
        #expect(RetryPolicy(try Self.config("  heartbeat_interval: 200ms").retry).heartbeat
            == RetryPolicy.Heartbeat(interval: .milliseconds(200), timeout: .milliseconds(600)))
        #expect(RetryPolicy(try Self.config("  heartbeat_interval: 200ms\n  heartbeat_timeout: 2s").retry).heartbeat
            == RetryPolicy.Heartbeat(interval: .milliseconds(200), timeout: .seconds(2)))
        #expect(RetryPolicy(try Self.config("  heartbeat_timeout: 5s").retry).heartbeat
            == RetryPolicy.Heartbeat(interval: .seconds(1), timeout: .seconds(5)))
        #expect(RetryPolicy(try Self.config("  heartbeat_interval: off").retry).heartbeat == nil)
        #expect(RetryPolicy(try Self.config("  heartbeat_interval: 0s").retry).heartbeat == nil)
        #expect(RetryPolicy(try Self.config("").retry).heartbeat == RetryPolicy.default.heartbeat)
    }

    @Test("bad heartbeat settings are refused with the field named", arguments: [
        ("  heartbeat_interval: soon", "retry.heartbeat_interval"),
        ("  heartbeat_interval: 100", "retry.heartbeat_interval"),
        ("  heartbeat_timeout: 0s", "retry.heartbeat_timeout"),
        ("  heartbeat_interval: off\n  heartbeat_timeout: 2s", "retry.heartbeat_timeout"),
        ("  heartbeat_timeout: 2h", "retry.heartbeat_timeout"),
    ])
    func badSettings(retry: String, field: String) {
        #expect {
            _ = try Self.config(retry)
        } throws: { error in
            "\(error)".contains(field)
        }
    }

    @Test("a policy's heartbeat is validated")
    func policyValidation() throws {
        var policy = RetryPolicy(mode: .pipelined)
        try policy.validated()
        policy.heartbeat = .init(interval: .zero)
        #expect(throws: RetryPolicyError.self) { try policy.validated() }
        policy.heartbeat = .init(interval: .seconds(1), timeout: .seconds(7000))
        #expect(throws: RetryPolicyError.self) { try policy.validated() }
        policy.heartbeat = nil
        try policy.validated()
    }

    @Test("the state machine names a drop, not silence, as the failed attempt's reason")
    func dropReason() {
        var machine = EngineStateMachine()
        let start = ContinuousClock.now
        var call = EngineStateMachine.Call(policy: RetryPolicy(attempts: 1, mode: .pipelined), endpoint: "tcp://a:1", submittedAt: start)
        var guards = EngineStateMachine.Guards(policy: call.policy)
        var random = SystemRandomNumberGenerator()
        _ = machine.admit(&call, guards: &guards, cancelled: false, now: start)
        _ = machine.sending(&call, newAttempt: true, now: start)
        let next = machine.connectionLost(&call, silentFor: .milliseconds(700), dropped: true, guards: &guards, using: &random, now: start)
        guard case .fail(let error) = next else {
            Issue.record("one attempt, lost: \(next)")
            return
        }
        #expect("\(error)".contains("dropped (heartbeat unanswered or peer gone)"), "\(error)")
    }

    @Test("with heartbeats on, a wrong CURVE server key still fails as an authentication error, not as drops", .enabled(if: ZMQ.has("curve")))
    func wrongServerKey() async throws {
        let serverKeys = try CurveKeyPair.generate()
        let configuration = serverConfiguration { $0.curve = CurveServerSecurity(secretKey: serverKeys.secretKey) }
        try await withServer(configuration, handler: EchoHandler()) { _, address in
            var policy = testPolicy(attempts: 1, timeout: .seconds(30), deadline: .seconds(40), mode: .pipelined)
            policy.heartbeat = .init(interval: .milliseconds(100))
            let engine = try ClientEngine(configuration: .init(retry: policy, curveKeyPair: try CurveKeyPair.generate()))
            let wrong = Endpoint(address, serverPublicKey: try CurveKeyPair.generate().publicKey)
            await #expect(performing: {
                _ = try await engine.request(bytes("hello"), to: wrong)
            }, throws: { ($0 as? CorsairError)?.code == .authenticationFailed })
            // The right key is served on a watched connection.
            let right = Endpoint(address, serverPublicKey: serverKeys.publicKey)
            #expect(try await engine.request(bytes("hello"), to: right).bytes == bytes("hello"))
            await engine.shutdown()
        }
    }

    /// Requests to a peer that never answers them, with an attempt timeout longer than their
    /// deadline: only a rebuild of the connection before the attempt timeout can save them. The peer
    /// then goes away and a new one, which answers, takes its endpoint.
    static func peerReplaced(heartbeat: RetryPolicy.Heartbeat?, deadline: Duration) async throws -> (results: [Result<Reply, CorsairError>], secondPeerRequests: Int) {
        let endpoint = uniqueIPCEndpoint()
        let first = try TestPeer(bind: endpoint) { _ in .drop }
        var policy = testPolicy(attempts: 3, timeout: .seconds(60), deadline: deadline, mode: .pipelined)
        policy.heartbeat = heartbeat
        let engine = try makeEngine(policy)
        let count = 10
        let requests = Task {
            await withTaskGroup(of: Result<Reply, CorsairError>.self) { group in
                for index in 0..<count {
                    group.addTask {
                        do throws(CorsairError) {
                            return .success(try await engine.request(bytes("r\(index)"), to: Endpoint(endpoint)))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                var results: [Result<Reply, CorsairError>] = []
                for await result in group {
                    results.append(result)
                }
                return results
            }
        }
        // A hang bound, not a speed one: at the start of a full parallel run, CPU-bound tests can hold
        // the concurrency pool for over 10 s before these tasks get to submit their requests.
        #expect(await waitUntil(timeout: .seconds(90)) { first.requestCount == count }, "the first peer saw \(first.requestCount)")
        await first.stop()
        let second = try TestPeer(bind: endpoint) { .reply(TestPeer.reply(to: $0)) }
        let results = await requests.value
        await engine.shutdown()
        await second.stop()
        return (results, second.requestCount)
    }

    @Test("a connection libzmq drops is rebuilt at once and its requests resent, long before the attempt timeout")
    func droppedConnectionRebuilt() async throws {
        // Attempt timeout 60 s, deadline 20 s: without the drop signal every request would fail.
        let (results, resent) = try await Self.peerReplaced(heartbeat: .init(interval: .milliseconds(100)), deadline: .seconds(20))
        #expect(results.count == 10)
        for result in results {
            switch result {
            case .success(let reply): #expect(reply.attempts == 2)
            case .failure(let error): Issue.record("failed: \(error)")
            }
        }
        #expect(resent == 10)
    }

    @Test("with heartbeats off, a dropped connection is noticed only by the attempt timeout")
    func heartbeatsOff() async throws {
        let (results, resent) = try await Self.peerReplaced(heartbeat: nil, deadline: .milliseconds(1500))
        #expect(results.count == 10)
        for result in results {
            switch result {
            case .success(let reply): Issue.record("succeeded after \(reply.attempts) attempts")
            case .failure(let error): #expect(error.code == .deadlineExceeded, "\(error)")
            }
        }
        #expect(resent == 0)
    }
}
