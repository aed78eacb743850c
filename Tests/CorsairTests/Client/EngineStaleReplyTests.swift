import Corsair
import Synchronization
import Testing

/// The stale-reply rule as a decision: at most one resend per attempt, never after closing.
@Suite("Engine state machine: stale replies")
struct EngineStaleReplyStateMachineTests {
    typealias Machine = EngineStateMachine

    @Test("the first stale reply of an attempt resends, the next ones wait, a new attempt may resend again")
    func oneResendPerAttempt() {
        let policy = EngineStateMachineTests.policy(attempts: 3)
        var (machine, call, _) = EngineStateMachineTests.sentCall(policy)
        let deadline = call.attemptDeadline
        #expect(machine.staleReply(&call) == .resend)
        // The resend keeps the attempt and its deadline.
        guard case .send(let resendDeadline) = machine.sending(&call, newAttempt: false, now: EngineStateMachineTests.at(.milliseconds(10))) else {
            Issue.record("the resend was not sent")
            return
        }
        #expect(resendDeadline == deadline)
        #expect(call.attempt == 1)
        #expect(machine.staleReply(&call) == .keepWaiting)
        #expect(machine.staleReply(&call) == .keepWaiting)
        #expect(call.attempt == 1)

        _ = machine.sending(&call, newAttempt: true, now: EngineStateMachineTests.at(.milliseconds(300)))
        #expect(call.attempt == 2)
        #expect(machine.staleReply(&call) == .resend)
        #expect(machine.staleReply(&call) == .keepWaiting)
    }

    @Test("a stale reply to a call not in flight, or on a closing engine, sends nothing")
    func notInFlightOrClosing() {
        let policy = EngineStateMachineTests.policy()
        var machine = Machine()
        var call = Machine.Call(policy: policy, endpoint: EngineStateMachineTests.endpoint, submittedAt: EngineStateMachineTests.start)
        var guards = Machine.Guards(policy: policy)
        _ = machine.admit(&call, guards: &guards, cancelled: false, now: EngineStateMachineTests.start)
        #expect(machine.staleReply(&call) == .keepWaiting)

        var (closing, sent, _) = EngineStateMachineTests.sentCall(policy)
        closing.close()
        #expect(closing.staleReply(&sent) == .keepWaiting)
    }
}

/// The stale-reply rule end to end, against a real peer over loopback.
@Suite("Client engine: stale replies")
struct ClientEngineStaleReplyTests {
    @Test(
        "a peer that always answers with a wrong id gets at most 4 sends per attempt, and the call ends as attempts run out",
        arguments: [RetryPolicy.Mode.recreate, .resend]
    )
    func wrongIDEveryTime(mode: RetryPolicy.Mode) async throws {
        let peer = try TestPeer { request in
            .reply(TestPeer.reply(to: request, requestID: (request.header?.requestID ?? 0) &+ 1_000_000))
        }
        let attempts = 2
        let engine = try makeEngine(testPolicy(attempts: attempts, timeout: .milliseconds(150), mode: mode))
        await #expect(throws: CorsairError.self) {
            _ = try await engine.request(bytes("x"), to: Endpoint(peer.endpoint))
        }
        await engine.shutdown()
        #expect(peer.requestCount >= attempts)
        #expect(peer.requestCount <= 4 * attempts, "sent \(peer.requestCount) times in \(attempts) attempts")
    }

    @Test(
        "a stale reply followed at once by the real one ends in success within the first attempt",
        arguments: [RetryPolicy.Mode.recreate, .resend]
    )
    func staleThenReal(mode: RetryPolicy.Mode) async throws {
        let calls = Atomic<Int>(0)
        let peer = try TestPeer { request in
            if calls.wrappingAdd(1, ordering: .relaxed).newValue == 1 {
                return .replies([TestPeer.reply(to: request, requestID: 424_242), TestPeer.reply(to: request)])
            }
            return .reply(TestPeer.reply(to: request))
        }
        let engine = try makeEngine(testPolicy(attempts: 3, timeout: .seconds(5), mode: mode))
        let reply = try await engine.request(bytes("y"), to: Endpoint(peer.endpoint))
        #expect(reply.bytes == bytes("y"))
        #expect(reply.attempts == 1)
        // One stale reply costs at most the one resend.
        #expect(peer.requestCount <= 2)
        // The socket that resent is not reused: a second request still succeeds at once.
        let second = try await engine.request(bytes("z"), to: Endpoint(peer.endpoint))
        #expect(second.bytes == bytes("z"))
        #expect(second.attempts == 1)
        await engine.shutdown()
    }
}
