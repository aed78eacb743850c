import Corsair
import Foundation
import PropertyBased
import Testing
import ZeroMQ

/// The engine's decisions without sockets or a clock: each transition, then random runs.
@Suite("Engine state machine")
struct EngineStateMachineTests {
    typealias Machine = EngineStateMachine
    static let start = ContinuousClock.now
    static let endpoint = "tcp://127.0.0.1:5555"

    static func policy(
        attempts: Int = 3,
        timeout: Duration = .milliseconds(200),
        deadline: Duration? = .seconds(10),
        budget: RetryBudget.Configuration? = nil,
        breaker: CircuitBreaker.Configuration? = nil,
        mode: RetryPolicy.Mode = .recreate
    ) -> RetryPolicy {
        var policy = testPolicy(attempts: attempts, timeout: timeout, deadline: deadline, mode: mode)
        policy.budget = budget
        policy.circuitBreaker = breaker
        return policy
    }

    static func at(_ offset: Duration) -> ContinuousClock.Instant { Self.start.advanced(by: offset) }

    /// A call admitted and sent at `start`, with the machine and guards it ran through.
    static func sentCall(_ policy: RetryPolicy) -> (Machine, Machine.Call, Machine.Guards) {
        var machine = Machine()
        var call = Machine.Call(policy: policy, endpoint: Self.endpoint, submittedAt: Self.start)
        var guards = Machine.Guards(policy: policy)
        _ = machine.admit(&call, guards: &guards, cancelled: false, now: Self.start)
        _ = machine.sending(&call, newAttempt: true, now: Self.start)
        return (machine, call, guards)
    }

    static func failure(_ next: Machine.Next) -> CorsairError? {
        if case .fail(let error) = next { return error }
        return nil
    }

    // MARK: Admission

    @Test("admission dispatches; a cancelled caller, a closing engine and an open breaker are refused")
    func admission() {
        var machine = Machine()
        let policy = Self.policy(breaker: .init(failures: 1, openFor: .seconds(1)))
        var guards = Machine.Guards(policy: policy)
        var call = Machine.Call(policy: policy, endpoint: Self.endpoint, submittedAt: Self.start)
        guard case .dispatch = machine.admit(&call, guards: &guards, cancelled: false, now: Self.start) else {
            Issue.record("not dispatched")
            return
        }
        var cancelled = Machine.Call(policy: policy, endpoint: Self.endpoint, submittedAt: Self.start)
        #expect(Self.failure(machine.admit(&cancelled, guards: &guards, cancelled: true, now: Self.start))?.code == .cancelled)

        guards.breaker?.recordFailure(now: Self.start)
        var refused = Machine.Call(policy: policy, endpoint: Self.endpoint, submittedAt: Self.start)
        let error = Self.failure(machine.admit(&refused, guards: &guards, cancelled: false, now: Self.at(.milliseconds(400))))
        #expect(error?.code == .circuitOpen)
        #expect(error?.retryAfter == .milliseconds(600))

        // Once the breaker's time is up, one call goes through as the probe.
        var probe = Machine.Call(policy: policy, endpoint: Self.endpoint, submittedAt: Self.at(.seconds(1)))
        guard case .dispatch = machine.admit(&probe, guards: &guards, cancelled: false, now: Self.at(.seconds(1))) else {
            Issue.record("the probe was refused")
            return
        }
        #expect(probe.isBreakerProbe)

        machine.close()
        var late = Machine.Call(policy: policy, endpoint: Self.endpoint, submittedAt: Self.start)
        #expect(Self.failure(machine.admit(&late, guards: &guards, cancelled: false, now: Self.start))?.code == .engineClosed)
    }

    // MARK: Sending

    @Test("sending counts the attempt and sets its deadline, cut to the overall deadline")
    func sendingSetsDeadline() {
        var (machine, call, _) = Self.sentCall(Self.policy(timeout: .seconds(2), deadline: .seconds(3)))
        #expect(call.attempt == 1)
        #expect(call.state == .inFlight)
        #expect(call.attemptDeadline == Self.at(.seconds(2)))
        guard case .send(let second) = machine.sending(&call, newAttempt: true, now: Self.at(.seconds(2))) else {
            Issue.record("second attempt not sent")
            return
        }
        #expect(call.attempt == 2)
        #expect(second == Self.at(.seconds(3)))
        // The same attempt again (after a stale reply) keeps its number and deadline.
        guard case .send(let again) = machine.sending(&call, newAttempt: false, now: Self.at(.milliseconds(2500))) else {
            Issue.record("resend refused")
            return
        }
        #expect(call.attempt == 2)
        #expect(again == second)
    }

    @Test("nothing is sent once the engine is closing, and no more attempts than the policy allows")
    func sendingRefused() {
        var (machine, call, _) = Self.sentCall(Self.policy(attempts: 1))
        #expect(Self.failure(machine.sending(&call, newAttempt: true, now: Self.start))?.code == .abandoned)
        #expect(call.attempt == 1)
        machine.close()
        #expect(Self.failure(machine.sending(&call, newAttempt: false, now: Self.start))?.code == .engineClosed)
    }

    @Test("a queued call reports its overall deadline; passing it says deadline exceeded and the time waited")
    func queuedDeadline() {
        var machine = Machine()
        var call = Machine.Call(policy: Self.policy(deadline: .milliseconds(1500)), endpoint: Self.endpoint, submittedAt: Self.start)
        #expect(machine.queued(&call) == Self.at(.milliseconds(1500)))
        #expect(call.state == .waitingForSocket)
        let error = Self.failure(machine.waitingDeadlinePassed(&call, now: Self.at(.milliseconds(1500))))
        #expect(error?.code == .deadlineExceeded)
        #expect(error?.message.contains("deadline of 1.5s passed after 1.5s") == true, "\(String(describing: error))")
    }

    @Test("a socket that cannot open: out of descriptors waits 10ms, a bad endpoint and other errors fail")
    func openFailures() {
        var machine = Machine()
        var call = Machine.Call(policy: Self.policy(), endpoint: Self.endpoint, submittedAt: Self.start)
        guard case .retry(let at) = machine.openFailed(&call, error: ZMQError(errno: EMFILE, operation: "socket"), now: Self.start) else {
            Issue.record("no retry")
            return
        }
        #expect(at == Self.at(.milliseconds(10)))
        #expect(call.attempt == 0)
        let invalid = machine.openFailed(&call, error: ZMQError(errno: EINVAL, operation: "socket"), now: Self.start)
        #expect(Self.failure(invalid)?.code == .invalidEndpoint)
        let other = machine.openFailed(&call, error: ZMQError(errno: ENOMEM, operation: "socket"), now: Self.start)
        #expect(Self.failure(other)?.code == .socketError)
        var short = Machine.Call(policy: Self.policy(deadline: .milliseconds(5)), endpoint: Self.endpoint, submittedAt: Self.start)
        #expect(Self.failure(machine.openFailed(&short, error: ZMQError(errno: EMFILE, operation: "socket"), now: Self.start))?.code == .deadlineExceeded)
    }

    // MARK: Timeouts and retries

    @Test("a timed-out attempt closes a recreate-mode socket, keeps a resend-mode one, and retries after the backoff")
    func timeoutRetries() {
        var random = SplitMix64(seed: 1)
        for mode in [RetryPolicy.Mode.recreate, .resend] {
            var (machine, call, guards) = Self.sentCall(Self.policy(mode: mode))
            let (socket, next) = machine.attemptTimedOut(&call, guards: &guards, using: &random, now: Self.at(.milliseconds(200)))
            #expect(socket == (mode == .recreate ? .close : .keep))
            guard case .retry(let at) = next else {
                Issue.record("no retry in \(mode)")
                continue
            }
            #expect(at == Self.at(.milliseconds(210)))
            #expect(call.state == .backingOff)
            guard case .dispatch = machine.retryDue(&call, now: at) else {
                Issue.record("retry not dispatched")
                continue
            }
        }
    }

    @Test("the last attempt's timeout abandons the call, naming the attempts and why")
    func lastAttemptAbandons() {
        var random = SplitMix64(seed: 2)
        var (machine, call, guards) = Self.sentCall(Self.policy(attempts: 1))
        let (_, next) = machine.attemptTimedOut(&call, guards: &guards, using: &random, now: Self.at(.milliseconds(200)))
        #expect(Self.failure(next)?.code == .abandoned)
        #expect(Self.failure(next).map { "\($0)" } == "abandoned after 1 attempt: no reply within 200ms")
    }

    @Test("an attempt cut short by the overall deadline says deadline exceeded and how long was waited")
    func deadlineEndsAttempt() {
        var random = SplitMix64(seed: 3)
        // The issue's case: a 2.5 s attempt timeout, a 1.5 s deadline.
        var (machine, call, guards) = Self.sentCall(Self.policy(attempts: 3, timeout: .milliseconds(2500), deadline: .milliseconds(1500)))
        #expect(call.attemptDeadline == Self.at(.milliseconds(1500)))
        let (_, next) = machine.attemptTimedOut(&call, guards: &guards, using: &random, now: Self.at(.milliseconds(1500)))
        let error = Self.failure(next)
        #expect(error?.code == .deadlineExceeded)
        #expect(error?.attempts == 1)
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("deadline of 1.5s passed after 1.5s"), "\(text)")
        #expect(!text.contains("2500ms"), "\(text)")
    }

    @Test("a backoff that would end past the deadline is not started")
    func backoffPastDeadline() {
        var random = SplitMix64(seed: 4)
        var (machine, call, guards) = Self.sentCall(Self.policy(timeout: .milliseconds(200), deadline: .milliseconds(205)))
        let (_, next) = machine.attemptTimedOut(&call, guards: &guards, using: &random, now: Self.at(.milliseconds(200)))
        #expect(Self.failure(next)?.code == .deadlineExceeded)
    }

    @Test("an empty retry budget refuses the retry; an open breaker fails it")
    func budgetAndBreaker() {
        var random = SplitMix64(seed: 5)
        let budget = RetryBudget.Configuration(ratio: 0, minPerSecond: 0, window: .seconds(10))
        var (machine, call, guards) = Self.sentCall(Self.policy(budget: budget))
        let (_, refused) = machine.attemptTimedOut(&call, guards: &guards, using: &random, now: Self.at(.milliseconds(200)))
        #expect(Self.failure(refused)?.code == .retryBudgetExhausted)

        var (machine2, call2, guards2) = Self.sentCall(Self.policy(breaker: .init(failures: 1, openFor: .seconds(5))))
        guards2.breaker?.recordFailure(now: Self.at(.milliseconds(100)))
        let (_, open) = machine2.attemptTimedOut(&call2, guards: &guards2, using: &random, now: Self.at(.milliseconds(200)))
        #expect(Self.failure(open)?.code == .circuitOpen)
        #expect(Self.failure(open)?.attempts == 1)
    }

    // MARK: Replies

    @Test("replies: ok succeeds and releases the socket, a final answer fails with it")
    func replies() {
        var random = SplitMix64(seed: 6)
        var (machine, call, guards) = Self.sentCall(Self.policy())
        let (socket, next) = machine.replied(&call, .ok, guards: &guards, using: &random, now: Self.at(.milliseconds(1)))
        #expect(socket == .release)
        guard case .succeed = next else {
            Issue.record("not succeeded")
            return
        }
        #expect(call.gotReply)
        var (machine2, call2, guards2) = Self.sentCall(Self.policy())
        let error = CorsairError.handlerError(attempts: 1, endpoint: Self.endpoint, message: "boom")
        let (socket2, next2) = machine2.replied(&call2, .final(error), guards: &guards2, using: &random, now: Self.at(.milliseconds(1)))
        #expect(socket2 == .release)
        #expect(Self.failure(next2)?.code == .handlerError)
    }

    @Test("a pushback waits at least the server's retry-after; on the last attempt it fails as overloaded or server map older")
    func pushbacks() {
        var random = SplitMix64(seed: 7)
        var (machine, call, guards) = Self.sentCall(Self.policy(attempts: 2, mode: .resend))
        let overloaded = Machine.ReplyOutcome.pushback(retryAfter: .milliseconds(300), reason: "server overloaded", olderServerEpoch: nil)
        let (socket, next) = machine.replied(&call, overloaded, guards: &guards, using: &random, now: Self.at(.milliseconds(1)))
        #expect(socket == .keep)
        guard case .retry(let at) = next else {
            Issue.record("no retry")
            return
        }
        #expect(at == Self.at(.milliseconds(301)))
        _ = machine.sending(&call, newAttempt: true, now: at)
        let (_, last) = machine.replied(&call, overloaded, guards: &guards, using: &random, now: at)
        #expect(Self.failure(last)?.code == .overloaded)
        #expect(Self.failure(last)?.retryAfter == .milliseconds(300))

        var (machine2, call2, guards2) = Self.sentCall(Self.policy(attempts: 1))
        let older = Machine.ReplyOutcome.pushback(retryAfter: .zero, reason: "server map older (epoch 3)", olderServerEpoch: 3)
        let (socket2, next2) = machine2.replied(&call2, older, guards: &guards2, using: &random, now: Self.at(.milliseconds(1)))
        #expect(socket2 == .release)
        #expect(Self.failure(next2)?.code == .serverMapOlder)
        #expect(Self.failure(next2)?.serverEpoch == 3)
    }

    // MARK: Cancellation, closing, ending

    @Test("cancelling resets an in-flight socket and keeps a resend-mode one between attempts")
    func cancellation() {
        var (machine, call, _) = Self.sentCall(Self.policy(mode: .resend))
        #expect(machine.cancelled(&call).socket == .close)
        var random = SplitMix64(seed: 8)
        var guards = Machine.Guards(policy: call.policy)
        _ = machine.attemptTimedOut(&call, guards: &guards, using: &random, now: Self.at(.milliseconds(200)))
        let (socket, next) = machine.cancelled(&call)
        #expect(socket == .release)
        #expect(Self.failure(next)?.code == .cancelled)
    }

    // MARK: Pipelined connections

    @Test("pipelined: a timed-out attempt keeps its connection and is resent; a pushback, a reply or a cancel only leaves it")
    func pipelinedSocketActions() {
        var random = SplitMix64(seed: 11)
        var (machine, call, guards) = Self.sentCall(Self.policy(mode: .pipelined))
        let (socket, next) = machine.attemptTimedOut(&call, guards: &guards, using: &random, now: Self.at(.milliseconds(200)))
        #expect(socket == .keep)
        guard case .retry(let at) = next, case .dispatch = machine.retryDue(&call, now: at) else {
            Issue.record("no retry")
            return
        }
        guard case .send = machine.sending(&call, newAttempt: true, now: at) else {
            Issue.record("not sent again")
            return
        }
        #expect(call.attempt == 2)
        let pushback = Machine.ReplyOutcome.pushback(retryAfter: .milliseconds(20), reason: "busy", olderServerEpoch: nil)
        #expect(machine.replied(&call, pushback, guards: &guards, using: &random, now: at).socket == .release)
        var (machine2, call2, _) = Self.sentCall(Self.policy(mode: .pipelined))
        #expect(machine2.cancelled(&call2).socket == .release)
        var (machine3, call3, guards3) = Self.sentCall(Self.policy(mode: .pipelined))
        #expect(machine3.replied(&call3, .ok, guards: &guards3, using: &random, now: Self.start).socket == .release)
    }

    @Test("pipelined: a connection is silent only when nothing came back for a whole attempt timeout")
    func connectionSilence() {
        let machine = Machine()
        let timeout = Duration.milliseconds(200)
        // A reply to another request 50 ms ago: the slow request times out alone.
        #expect(!machine.connectionIsSilent(lastSignOfLife: Self.at(.milliseconds(150)), now: Self.at(.milliseconds(200)), attemptTimeout: timeout))
        #expect(machine.connectionIsSilent(lastSignOfLife: Self.start, now: Self.at(.milliseconds(200)), attemptTimeout: timeout))
        #expect(machine.connectionIsSilent(lastSignOfLife: Self.start, now: Self.at(.milliseconds(900)), attemptTimeout: timeout))
    }

    @Test("pipelined: a lost connection costs each call on it an attempt, then a retry or the usual failure")
    func connectionLost() {
        var random = SplitMix64(seed: 12)
        var (machine, call, guards) = Self.sentCall(Self.policy(attempts: 2, mode: .pipelined))
        let lost = machine.connectionLost(&call, silentFor: .milliseconds(200), guards: &guards, using: &random, now: Self.at(.milliseconds(100)))
        guard case .retry(let at) = lost else {
            Issue.record("no retry after the connection was lost")
            return
        }
        #expect(call.attempt == 1)
        #expect(call.lastFailure.contains("connection rebuilt"))
        _ = machine.retryDue(&call, now: at)
        _ = machine.sending(&call, newAttempt: true, now: at)
        let last = machine.connectionLost(&call, silentFor: .milliseconds(200), guards: &guards, using: &random, now: at.advanced(by: .milliseconds(50)))
        let error = Self.failure(last)
        #expect(error?.code == .abandoned)
        #expect(error.map { "\($0)" }?.contains("connection rebuilt") == true)
        // The budget counts a rebuilt connection's resends like any retry.
        var (machine2, call2, guards2) = Self.sentCall(
            Self.policy(budget: .init(ratio: 0, minPerSecond: 0, window: .seconds(1)), mode: .pipelined)
        )
        let refused = machine2.connectionLost(&call2, silentFor: .milliseconds(200), guards: &guards2, using: &random, now: Self.at(.milliseconds(200)))
        #expect(Self.failure(refused)?.code == .retryBudgetExhausted)
    }

    @Test("a call ends once; the breaker hears of failures, successes and released probes")
    func endingOnce() {
        let policy = Self.policy(breaker: .init(failures: 1, openFor: .seconds(1)))
        var (machine, call, guards) = Self.sentCall(policy)
        #expect(machine.finished(&call, failure: .abandoned, guards: &guards, now: Self.at(.milliseconds(200))))
        #expect(!machine.finished(&call, failure: .abandoned, guards: &guards, now: Self.at(.milliseconds(200))))
        #expect(guards.isBreakerOpen)

        var probe = Machine.Call(policy: policy, endpoint: Self.endpoint, submittedAt: Self.at(.seconds(2)))
        _ = machine.admit(&probe, guards: &guards, cancelled: false, now: Self.at(.seconds(2)))
        #expect(probe.isBreakerProbe)
        #expect(machine.finished(&probe, failure: .cancelled, guards: &guards, now: Self.at(.seconds(2))))
        #expect(guards.breaker?.isProbeOutstanding == false)

        var next = Machine.Call(policy: policy, endpoint: Self.endpoint, submittedAt: Self.at(.seconds(2)))
        _ = machine.admit(&next, guards: &guards, cancelled: false, now: Self.at(.seconds(2)))
        _ = machine.sending(&next, newAttempt: true, now: Self.at(.seconds(2)))
        var random = SplitMix64(seed: 9)
        _ = machine.replied(&next, .ok, guards: &guards, using: &random, now: Self.at(.seconds(2)))
        #expect(machine.finished(&next, failure: nil, guards: &guards, now: Self.at(.seconds(2))))
        #expect(guards.breaker?.state == .closed)
    }

    @Test("closing fails whatever a call was doing with engine closed, and a retry that comes due is not sent")
    func closing() {
        var random = SplitMix64(seed: 10)
        var (machine, call, guards) = Self.sentCall(Self.policy())
        _ = machine.attemptTimedOut(&call, guards: &guards, using: &random, now: Self.at(.milliseconds(200)))
        machine.close()
        #expect(Self.failure(machine.retryDue(&call, now: Self.at(.milliseconds(210))))?.code == .engineClosed)
        #expect(Self.failure(machine.close(&call))?.code == .engineClosed)
        let (_, next) = machine.attemptTimedOut(&call, guards: &guards, using: &random, now: Self.at(.milliseconds(400)))
        #expect(Self.failure(next)?.code == .engineClosed)
    }

    // MARK: Properties

    /// What a random run may do to a live call.
    enum Event: CaseIterable, Sendable {
        case timeout, ok, final, overloaded, older, cancel, queueAndWait, shutdown, connectionLost
    }

    @Test("random runs: every admitted call ends exactly once, nothing is sent after closing, attempts stay within the policy")
    func randomRuns() async {
        await propertyCheck(
            count: 400,
            input: Gen<UInt64>.value(),
            Gen<Int>.int(in: 1...6),
            Gen<Event>.case.array(of: 1...60)
        ) { seed, attempts, events in
            Self.run(seed: seed, attempts: attempts, events: events)
        }
    }

    /// Drives calls through the machine as the engine would, with a virtual clock, and checks the
    /// properties after every step.
    static func run(seed: UInt64, attempts: Int, events: [Event]) {
        var random = SplitMix64(seed: seed)
        var machine = Machine()
        let mode: RetryPolicy.Mode = [.recreate, .resend, .pipelined][Int(seed % 3)]
        let policy = RetryPolicy(
            attempts: attempts,
            attemptTimeout: .milliseconds(100),
            deadline: seed % 3 == 0 ? nil : .milliseconds(Int64(150 + seed % 900)),
            backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(50), multiplier: 2, jitter: .full),
            budget: seed % 5 == 0 ? .init(ratio: 0.1, minPerSecond: 1, window: .seconds(1)) : nil,
            circuitBreaker: seed % 7 == 0 ? .init(failures: 2, openFor: .milliseconds(100)) : nil,
            mode: mode
        )
        var guards = Machine.Guards(policy: policy)
        var now = Self.start
        var calls: [Machine.Call] = []
        var ends = [Int](repeating: 0, count: events.count)
        var retryAt: [ContinuousClock.Instant?] = Array(repeating: nil, count: events.count)
        var closed = false

        /// Applies a step's answer; `.send` only when allowed.
        func perform(_ next: Machine.Next, _ index: Int) {
            switch next {
            case .dispatch:
                let sent = machine.sending(&calls[index], newAttempt: true, now: now)
                perform(sent, index)
            case .send:
                #expect(!closed, "a send after closing")
                #expect(calls[index].attempt <= policy.attempts, "more attempts than the policy allows")
            case .retry(let at):
                #expect(at >= now)
                retryAt[index] = at
            case .succeed:
                end(index, failure: nil)
            case .fail(let error):
                end(index, failure: error.code)
            }
        }

        func end(_ index: Int, failure: CorsairError.Code?) {
            if machine.finished(&calls[index], failure: failure, guards: &guards, now: now) {
                ends[index] += 1
            }
        }

        for (index, event) in events.enumerated() {
            now = now.advanced(by: .milliseconds(Int64(random.next() % 120)))
            // A new call each step, then the event hits a random live one.
            calls.append(Machine.Call(policy: policy, endpoint: Self.endpoint, submittedAt: now))
            perform(machine.admit(&calls[index], guards: &guards, cancelled: false, now: now), index)
            let live = calls.indices.filter { !calls[$0].isFinished }
            guard let target = live.randomElement(using: &random) else { continue }
            // Retries that came due go first, as the engine's timers would.
            for other in live where calls[other].state == .backingOff {
                if let due = retryAt[other], due <= now {
                    retryAt[other] = nil
                    perform(machine.retryDue(&calls[other], now: now), other)
                }
            }
            guard !calls[target].isFinished else { continue }
            switch (event, calls[target].state) {
            case (.shutdown, _):
                machine.close()
                closed = true
                for other in calls.indices where !calls[other].isFinished {
                    perform(machine.close(&calls[other]), other)
                }
            case (.cancel, _):
                perform(machine.cancelled(&calls[target]).next, target)
            case (.queueAndWait, .inFlight), (.queueAndWait, .backingOff), (.queueAndWait, .admitted):
                // A retry that found no free socket, then waited past the overall deadline or got one.
                _ = machine.queued(&calls[target])
                if random.next() % 2 == 0 {
                    perform(machine.waitingDeadlinePassed(&calls[target], now: now), target)
                } else {
                    perform(machine.sending(&calls[target], newAttempt: calls[target].attempt == 0, now: now), target)
                }
            case (.timeout, .inFlight):
                perform(machine.attemptTimedOut(&calls[target], guards: &guards, using: &random, now: now).next, target)
            case (.connectionLost, .inFlight) where mode == .pipelined:
                // The shared connection died: every call in flight on it loses its attempt.
                for other in calls.indices where calls[other].state == .inFlight {
                    perform(machine.connectionLost(&calls[other], silentFor: .milliseconds(100), guards: &guards, using: &random, now: now), other)
                }
            case (.ok, .inFlight):
                perform(machine.replied(&calls[target], .ok, guards: &guards, using: &random, now: now).next, target)
            case (.final, .inFlight):
                let error = CorsairError.badRequest(attempts: calls[target].attempt, endpoint: Self.endpoint, message: "no")
                perform(machine.replied(&calls[target], .final(error), guards: &guards, using: &random, now: now).next, target)
            case (.overloaded, .inFlight), (.older, .inFlight):
                let outcome = Machine.ReplyOutcome.pushback(
                    retryAfter: .milliseconds(20),
                    reason: "pushed back",
                    olderServerEpoch: event == .older ? 9 : nil
                )
                perform(machine.replied(&calls[target], outcome, guards: &guards, using: &random, now: now).next, target)
            default:
                continue
            }
        }
        // The run ends with the engine closing, as every engine does: nothing may be left open.
        machine.close()
        closed = true
        for index in calls.indices where !calls[index].isFinished {
            perform(machine.close(&calls[index]), index)
        }
        #expect(ends.allSatisfy { $0 == 1 }, "calls ended \(ends) times")
        #expect(calls.allSatisfy { $0.attempt <= policy.attempts })
    }
}

@Suite("Engine state machine: guards follow the policy")
struct EngineGuardsTests {
    @Test("an endpoint's breaker and budget follow a changed policy instead of the first request's")
    func guardsFollowPolicy() {
        typealias Machine = EngineStateMachine
        let start = EngineStateMachineTests.start
        let strict = EngineStateMachineTests.policy(breaker: .init(failures: 1, openFor: .seconds(60)))
        var machine = Machine()
        var guards = Machine.Guards(policy: strict)
        guards.breaker?.recordFailure(now: start)
        var refused = Machine.Call(policy: strict, endpoint: "e", submittedAt: start)
        #expect(EngineStateMachineTests.failure(machine.admit(&refused, guards: &guards, cancelled: false, now: start))?.code == .circuitOpen)

        // A reloaded retry section with another breaker: the endpoint starts afresh under it.
        let reloaded = EngineStateMachineTests.policy(
            budget: .init(ratio: 0.5, minPerSecond: 1, window: .seconds(1)),
            breaker: .init(failures: 3, openFor: .seconds(1))
        )
        var admitted = Machine.Call(policy: reloaded, endpoint: "e", submittedAt: start)
        guard case .dispatch = machine.admit(&admitted, guards: &guards, cancelled: false, now: start) else {
            Issue.record("refused under the new policy")
            return
        }
        #expect(guards.breaker?.configuration.failures == 3)
        #expect(guards.budget?.configuration.ratio == 0.5)

        // A policy without them drops them.
        var plain = Machine.Call(policy: EngineStateMachineTests.policy(), endpoint: "e", submittedAt: start)
        _ = machine.admit(&plain, guards: &guards, cancelled: false, now: start)
        #expect(guards.breaker == nil)
        #expect(guards.budget == nil)
    }

    @Test("calls under two policies on one endpoint keep separate breakers: alternating them resets neither")
    func alternatingPoliciesKeepTheirGuards() {
        typealias Machine = EngineStateMachine
        let start = EngineStateMachineTests.start
        let strict = EngineStateMachineTests.policy(breaker: .init(failures: 2, openFor: .seconds(60)))
        let lenient = EngineStateMachineTests.policy(breaker: .init(failures: 100, openFor: .seconds(1)))
        var machine = Machine()
        var guards = Machine.Guards(policy: strict)

        /// One call under `policy`, sent once and failed (`abandoned`), or refused at admission.
        func failOnce(_ policy: RetryPolicy) -> CorsairError.Code? {
            var call = Machine.Call(policy: policy, endpoint: "e", submittedAt: start)
            if let refused = EngineStateMachineTests.failure(machine.admit(&call, guards: &guards, cancelled: false, now: start)) {
                return refused.code
            }
            _ = machine.sending(&call, newAttempt: true, now: start)
            _ = machine.finished(&call, failure: .abandoned, guards: &guards, now: start)
            return nil
        }

        // strict, lenient, strict: the strict breaker hears both of its failures and opens; the
        // lenient calls in between neither reset it nor count against it.
        #expect(failOnce(strict) == nil)
        #expect(failOnce(lenient) == nil)
        #expect(failOnce(strict) == nil)
        #expect(failOnce(lenient) == nil, "the lenient breaker has 2 of its 100 failures")
        #expect(failOnce(strict) == .circuitOpen, "the strict breaker saw 2 failures and is open")

        // A stream of distinct settings keeps at most keptSettings of them: the oldest is dropped.
        for failures in 200..<(200 + Machine.Guards.keptSettings) {
            _ = failOnce(EngineStateMachineTests.policy(breaker: .init(failures: failures, openFor: .seconds(1))))
        }
        #expect(failOnce(strict) == nil, "strict's breaker was dropped with the oldest settings and starts afresh")
    }
}
