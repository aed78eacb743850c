import UnitText
import ZeroMQ

/// Every decision the client engine makes about a request, as a pure state machine over injected
/// time: admit or refuse, send or wait, retry or give up, what a reply means, what happens at
/// shutdown.
///
/// ``EngineCore`` owns the sockets and the timers; it tells the machine what happened (a call
/// arrived, an attempt went out, a deadline passed, a reply came, the engine began to close) and
/// performs the ``Next`` step and ``SocketAction`` the machine answers with. The machine never
/// touches a socket or a clock, so every transition is tested without either, and a simulator can
/// drive it with a clock of its own.
///
/// A call's state lives in a ``Call`` value the engine stores next to its socket bookkeeping, an
/// endpoint's budget and breaker in a ``Guards`` value per pool; the machine itself holds only
/// what concerns the whole engine (whether it is closing). Nothing here allocates on the request
/// path: calls and guards are plain values, steps are enums.
///
/// Pipelining (``RetryPolicy/Mode/pipelined``: a DEALER connection carrying many requests at once)
/// is a few transitions over the same values rather than a second engine: a timed-out attempt
/// keeps its connection and is resent on it (``attemptTimedOut(_:guards:using:now:)``), whether
/// the connection itself is dead is ``connectionIsSilent(lastSignOfLife:now:attemptTimeout:)``,
/// and a destroyed connection ends the attempt of every request on it
/// (``connectionLost(_:silentFor:guards:using:now:)``). Admission, deadlines, retries, budget and breaker
/// stay as they are.
package struct EngineStateMachine {
    /// One request's part of the machine.
    package struct Call: Sendable {
        package enum State: Hashable, Sendable {
            /// Admitted, not yet sent or queued.
            case admitted
            /// Waiting for a socket of its endpoint's pool.
            case waitingForSocket
            /// Sent; the reply is due by ``Call/attemptDeadline``.
            case inFlight
            /// Between attempts.
            case backingOff
            /// Ended, with a result or an error; no transition changes it again.
            case finished
        }

        package let policy: RetryPolicy
        package let endpoint: String
        package let submittedAt: ContinuousClock.Instant
        package let overallDeadline: ContinuousClock.Instant?
        package fileprivate(set) var state: State = .admitted
        /// Attempts sent so far; never more than the policy's ``RetryPolicy/attempts``.
        package fileprivate(set) var attempt = 0
        package fileprivate(set) var attemptDeadline: ContinuousClock.Instant?
        package fileprivate(set) var previousDelay: Duration?
        package fileprivate(set) var lastFailure = "no attempt was made"
        /// Whether this call is the half-open breaker's one probe.
        package fileprivate(set) var isBreakerProbe = false
        /// Whether any reply came back, which tells the breaker the endpoint lives.
        package fileprivate(set) var gotReply = false
        /// Whether the current attempt already resent after a stale reply: the one resend an
        /// attempt may make for that reason (``staleReply(_:)``).
        package fileprivate(set) var resentAfterStaleReply = false

        package init(policy: RetryPolicy, endpoint: String, submittedAt: ContinuousClock.Instant) {
            self.policy = policy
            self.endpoint = endpoint
            self.submittedAt = submittedAt
            self.overallDeadline = policy.deadline.map { submittedAt.advanced(by: $0) }
        }

        package var isFinished: Bool { self.state == .finished }
    }

    /// An endpoint's retry budget and circuit breaker, shared by its calls.
    package struct Guards: Sendable {
        package var budget: RetryBudget?
        package var breaker: CircuitBreaker?
        /// Budgets and breakers of other settings this endpoint served lately, the most recently
        /// used last: calls whose policies differ (a per-request override, a reloaded `retry:`
        /// section) each keep the state of their own settings instead of resetting the others'.
        private var otherBudgets: [RetryBudget] = []
        private var otherBreakers: [CircuitBreaker] = []

        /// How many settings' budgets (and breakers) one endpoint keeps, the current one included;
        /// past it the least recently used are dropped, so a stream of distinct overrides stays bounded.
        package static let keptSettings = 4

        package init(policy: RetryPolicy) {
            self.budget = policy.budget.map { RetryBudget(configuration: $0) }
            self.breaker = policy.circuitBreaker.map { CircuitBreaker(configuration: $0) }
        }

        /// Makes the budget and breaker of `policy`'s settings the current ones: unchanged when they
        /// already are (nearly always), else those kept from an earlier call with the same settings,
        /// else fresh ones. Each decision about a call follows its own policy first, so that calls
        /// under two policies on one endpoint never count against each other's budget or breaker.
        package mutating func follow(_ policy: RetryPolicy) {
            if self.budget?.configuration != policy.budget {
                Self.swap(&self.budget, kept: &self.otherBudgets, for: policy.budget) { RetryBudget(configuration: $0) }
            }
            if self.breaker?.configuration != policy.circuitBreaker {
                Self.swap(&self.breaker, kept: &self.otherBreakers, for: policy.circuitBreaker) { CircuitBreaker(configuration: $0) }
            }
        }

        /// Puts `current` among the kept ones and takes out the one configured as `wanted` (or a new one).
        private static func swap<Guard: ConfiguredGuard>(
            _ current: inout Guard?,
            kept: inout [Guard],
            for wanted: Guard.Configuration?,
            make: (Guard.Configuration) -> Guard
        ) {
            let previous = current
            if let wanted {
                if let index = kept.firstIndex(where: { $0.configuration == wanted }) {
                    current = kept.remove(at: index)
                } else {
                    current = make(wanted)
                }
            } else {
                current = nil
            }
            if let previous {
                kept.append(previous)
                if kept.count >= Self.keptSettings { kept.removeFirst() }
            }
        }

        package var isBreakerOpen: Bool {
            if case .open = self.breaker?.state { return true }
            return false
        }
    }

    /// What the engine does with a call next.
    package enum Next: Sendable {
        /// Find the call a socket (idle, new, or a place in the pool's queue) and send.
        case dispatch
        /// Send the attempt now, on the socket the engine chose; the reply is due by the deadline.
        case send(attemptDeadline: ContinuousClock.Instant)
        /// Wait until the instant, then report ``EngineStateMachine/retryDue(_:now:)``.
        case retry(at: ContinuousClock.Instant)
        /// End the call with its reply.
        case succeed
        /// End the call with the error.
        case fail(CorsairError)
    }

    /// What the engine does with the socket a call held.
    ///
    /// A pipelined connection is shared: ``release`` and ``close`` only take the call off it, and
    /// the connection is closed only when it shows no sign of life.
    package enum SocketAction: Hashable, Sendable {
        /// Leave it with the call (resend and pipelined modes send again on it).
        case keep
        /// Its exchange is complete: back to the pool.
        case release
        /// Its REQ state forbids another send: close it.
        case close
    }

    /// What a reply said, as far as the machine cares.
    package enum ReplyOutcome: Sendable {
        case ok
        /// The server asked for a retry after `retryAfter`; `olderServerEpoch` when its map is older.
        case pushback(retryAfter: Duration, reason: String, olderServerEpoch: UInt64?)
        /// A final answer other than success.
        case final(CorsairError)
    }

    /// Why an attempt failed.
    package enum AttemptFailure: Sendable {
        case timedOut
        /// The pipelined connection the attempt went on showed no sign of life and was destroyed.
        case connectionLost(silentFor: Duration)
        /// libzmq dropped the pipelined connection the attempt went on (a ZMTP heartbeat went
        /// unanswered, or the peer closed it), and it was destroyed.
        case connectionDropped(silentFor: Duration)
        case sendFailed(String)
        case pushback(retryAfter: Duration, reason: String, olderServerEpoch: UInt64?)
    }

    /// Set once the engine began to close: from then on no transition answers ``Next/send(attemptDeadline:)``
    /// or ``Next/dispatch``.
    package private(set) var isClosing = false

    package init() {}

    // MARK: Admission

    /// A call arrived: refused if cancelled, closing or the breaker is open; otherwise dispatched.
    package mutating func admit(
        _ call: inout Call,
        guards: inout Guards,
        cancelled: Bool,
        now: ContinuousClock.Instant
    ) -> Next {
        guard !self.isClosing else { return self.close(&call) }
        if cancelled {
            return .fail(.cancelled(attempts: 0, endpoint: call.endpoint))
        }
        guards.follow(call.policy)
        guards.budget?.recordRequest(now: now)
        if guards.breaker != nil {
            guard guards.breaker?.allowRequest(now: now) == true else {
                return .fail(.circuitOpen(endpoint: call.endpoint, retryAfter: Self.breakerWait(guards, now: now)))
            }
            if case .halfOpen = guards.breaker?.state {
                call.isBreakerProbe = true
            }
        }
        return .dispatch
    }

    // MARK: Sending

    /// The engine holds a socket for the call and is about to send on it.
    ///
    /// - Parameter newAttempt: `false` for the same attempt sent again after a stale reply, which
    ///   keeps the attempt's deadline.
    /// - Returns: ``Next/send(attemptDeadline:)``, or ``Next/fail(_:)`` when nothing may be sent.
    package mutating func sending(_ call: inout Call, newAttempt: Bool, now: ContinuousClock.Instant) -> Next {
        guard !self.isClosing else { return self.close(&call) }
        if newAttempt || call.attemptDeadline == nil {
            guard call.attempt < call.policy.attempts else {
                return self.giveUp(&call, reason: call.lastFailure, retryAfter: nil, olderServerEpoch: nil, now: now)
            }
            call.attempt += 1
            call.resentAfterStaleReply = false
            var deadline = now.advanced(by: call.policy.attemptTimeout)
            if let overall = call.overallDeadline, overall < deadline {
                deadline = overall
            }
            call.attemptDeadline = deadline
        }
        call.state = .inFlight
        return .send(attemptDeadline: call.attemptDeadline ?? now)
    }

    /// What the engine does after dropping a reply that carries another request's id.
    package enum StaleReplyAction: Hashable, Sendable {
        /// Send the same attempt again on the same REQ socket (its exchange completed, so the
        /// socket may receive again only after a send), keeping the attempt and its deadline.
        case resend
        /// Send nothing: the call waits out its attempt, after which the ordinary retry (backoff,
        /// budget, attempts) decides.
        case keepWaiting
    }

    /// A REQ-mode reply with another request's id arrived and was dropped.
    ///
    /// At most one resend per attempt, so a peer that always answers with a wrong id costs two sends
    /// per attempt instead of a loop; the attempt's deadline is unchanged, so a stale reply never
    /// spends an attempt nor lengthens one.
    package mutating func staleReply(_ call: inout Call) -> StaleReplyAction {
        guard !self.isClosing, call.state == .inFlight, !call.resentAfterStaleReply else { return .keepWaiting }
        call.resentAfterStaleReply = true
        return .resend
    }

    /// No socket is free: the call queues. Returns the overall deadline, when it has one, for the
    /// engine's timer.
    package mutating func queued(_ call: inout Call) -> ContinuousClock.Instant? {
        call.state = .waitingForSocket
        return call.overallDeadline
    }

    /// The overall deadline passed while the call waited for a socket.
    package mutating func waitingDeadlinePassed(_ call: inout Call, now: ContinuousClock.Instant) -> Next {
        guard call.state == .waitingForSocket else { return .dispatch }
        return .fail(self.deadlineError(call, detail: "while waiting for a socket", now: now))
    }

    /// A socket could not be opened. Running out of descriptors passes (libzmq's reaper frees closed
    /// sockets in the background), so that waits and tries again without spending an attempt;
    /// a malformed endpoint fails the call; anything else is a socket error.
    package mutating func openFailed(_ call: inout Call, error: ZMQError, now: ContinuousClock.Instant) -> Next {
        guard !self.isClosing else { return self.close(&call) }
        switch error.code {
        case .tooManyOpenFiles:
            let retryAt = now.advanced(by: .milliseconds(10))
            call.lastFailure = "cannot open a socket: \(error)"
            if let deadline = call.overallDeadline, retryAt >= deadline {
                return .fail(self.deadlineError(call, detail: call.lastFailure, now: now).keeping(error))
            }
            call.state = .backingOff
            return .retry(at: retryAt)
        case .invalidArgument, .protocolNotSupported, .addressNotAvailable, .endpointNotFound:
            return .fail(.invalidEndpoint(call.endpoint, message: "\(error.code)", underlying: error))
        default:
            return .fail(.socketError(attempts: call.attempt, endpoint: call.endpoint, operation: "open socket", underlying: error))
        }
    }

    // MARK: Replies and failures

    /// A reply arrived for the call's request id.
    package mutating func replied(
        _ call: inout Call,
        _ outcome: ReplyOutcome,
        guards: inout Guards,
        using random: inout some RandomNumberGenerator,
        now: ContinuousClock.Instant
    ) -> (socket: SocketAction, next: Next) {
        call.gotReply = true
        switch outcome {
        case .ok:
            return (.release, .succeed)
        case .final(let error):
            return (.release, .fail(error))
        case .pushback(let retryAfter, let reason, let olderServerEpoch):
            // A REQ socket whose exchange completed may send again, in either mode; resend mode
            // keeps it for the retry.
            // A pipelined call leaves its connection: the retry goes on whichever is current then.
            let socket: SocketAction = call.policy.mode == .resend ? .keep : .release
            let failure = AttemptFailure.pushback(retryAfter: retryAfter, reason: reason, olderServerEpoch: olderServerEpoch)
            return (socket, self.attemptFailed(&call, failure, guards: &guards, using: &random, now: now))
        }
    }

    /// The attempt's deadline passed without a reply.
    package mutating func attemptTimedOut(
        _ call: inout Call,
        guards: inout Guards,
        using random: inout some RandomNumberGenerator,
        now: ContinuousClock.Instant
    ) -> (socket: SocketAction, next: Next) {
        // A REQ socket that sent without a reply can never send again: recreate mode rebuilds it.
        // A pipelined call stays on its connection, so a late reply to this attempt still answers
        // it and the retry goes out there with the same request id.
        let socket: SocketAction = call.policy.mode == .recreate ? .close : .keep
        return (socket, self.attemptFailed(&call, .timedOut, guards: &guards, using: &random, now: now))
    }

    /// Whether a pipelined connection is dead: no reply to any of its requests (nor, since it
    /// last had none outstanding, any request sent) for a whole attempt timeout.
    ///
    /// A reply to any request is a sign of life, so one slow request among answered ones times
    /// out alone and is resent; only a connection silent for everyone is destroyed.
    package func connectionIsSilent(
        lastSignOfLife: ContinuousClock.Instant,
        now: ContinuousClock.Instant,
        attemptTimeout: Duration
    ) -> Bool {
        lastSignOfLife.advanced(by: attemptTimeout) <= now
    }

    /// The pipelined connection carrying the call's attempt was destroyed, for silence or because
    /// libzmq dropped it (`dropped`: heartbeats): the attempt failed, and the call is retried (on a
    /// new connection) or fails like any failed attempt.
    package mutating func connectionLost(
        _ call: inout Call,
        silentFor: Duration,
        dropped: Bool = false,
        guards: inout Guards,
        using random: inout some RandomNumberGenerator,
        now: ContinuousClock.Instant
    ) -> Next {
        let failure: AttemptFailure = dropped ? .connectionDropped(silentFor: silentFor) : .connectionLost(silentFor: silentFor)
        return self.attemptFailed(&call, failure, guards: &guards, using: &random, now: now)
    }

    /// Decides whether a failed attempt is retried, and when; otherwise how the call fails.
    package mutating func attemptFailed(
        _ call: inout Call,
        _ failure: AttemptFailure,
        guards: inout Guards,
        using random: inout some RandomNumberGenerator,
        now: ContinuousClock.Instant
    ) -> Next {
        guard !self.isClosing else { return self.close(&call) }
        let reason: String
        var retryAfter: Duration?
        var olderServerEpoch: UInt64?
        switch failure {
        case .timedOut where call.attemptDeadline != nil && call.attemptDeadline == call.overallDeadline:
            reason = "no reply to attempt \(call.attempt) before the deadline"
        case .timedOut:
            reason = "no reply within \(Self.describe(call.policy.attemptTimeout))"
        case .connectionLost(let silentFor):
            reason = "connection rebuilt: no reply to any request on it for \(DurationText.approximate(silentFor))"
        case .connectionDropped(let silentFor):
            reason = "connection rebuilt: dropped (heartbeat unanswered or peer gone) after \(DurationText.approximate(silentFor)) without a reply"
        case .sendFailed(let detail):
            reason = "send failed: \(detail)"
        case .pushback(let after, let why, let epoch):
            reason = "\(why), retry after \(Self.describe(after))"
            retryAfter = after
            olderServerEpoch = epoch
        }
        call.lastFailure = reason
        // The deadline is named first: an attempt it cut short failed because of it.
        if let deadline = call.overallDeadline, now >= deadline {
            return .fail(self.deadlineError(call, detail: reason, now: now))
        }
        guard call.attempt < call.policy.attempts else {
            return self.giveUp(&call, reason: reason, retryAfter: retryAfter, olderServerEpoch: olderServerEpoch, now: now)
        }
        guards.follow(call.policy)
        if case .open(let until) = guards.breaker?.state, until > now {
            return .fail(.circuitOpen(endpoint: call.endpoint, retryAfter: now.duration(to: until), attempts: call.attempt))
        }
        if guards.budget != nil, guards.budget?.tryWithdraw(now: now) == false {
            return .fail(.retryBudgetExhausted(attempts: call.attempt, endpoint: call.endpoint, lastFailure: reason))
        }
        var delay = call.policy.backoff.delay(beforeRetry: call.attempt, previous: call.previousDelay, using: &random)
        if let retryAfter, retryAfter > delay {
            delay = retryAfter
        }
        if let deadline = call.overallDeadline, now.advanced(by: delay) >= deadline {
            let detail = "\(reason); the deadline leaves no time for another attempt"
            if retryAfter != nil {
                return self.giveUp(&call, reason: detail, retryAfter: retryAfter, olderServerEpoch: olderServerEpoch, now: now)
            }
            return .fail(self.deadlineError(call, detail: detail, now: now))
        }
        call.previousDelay = delay
        call.state = .backingOff
        return .retry(at: now.advanced(by: delay))
    }

    /// The backoff before the next attempt is over.
    package mutating func retryDue(_ call: inout Call, now: ContinuousClock.Instant) -> Next {
        guard !self.isClosing else { return self.close(&call) }
        return .dispatch
    }

    /// The caller cancelled. Returns what to do with a socket the call holds: an exchange left
    /// unfinished resets it, except in resend mode between attempts.
    package mutating func cancelled(_ call: inout Call) -> (socket: SocketAction, next: Next) {
        let socket: SocketAction
        switch call.policy.mode {
        case .recreate: socket = .close
        case .resend: socket = call.state != .inFlight ? .release : .close
        // Its reply, should one come, is dropped as stray; the connection carries on.
        case .pipelined: socket = .release
        }
        return (socket, .fail(.cancelled(attempts: call.attempt, endpoint: call.endpoint)))
    }

    // MARK: Ending

    /// Records the call's end with the endpoint's breaker; `false` when it had already ended, in
    /// which case the engine must not complete it again.
    package mutating func finished(
        _ call: inout Call,
        failure: CorsairError.Code?,
        guards: inout Guards,
        now: ContinuousClock.Instant
    ) -> Bool {
        guard call.state != .finished else { return false }
        call.state = .finished
        guards.follow(call.policy)
        guard guards.breaker != nil else { return true }
        if call.gotReply {
            guards.breaker?.recordSuccess(now: now)
        } else if failure == .cancelled || failure == .engineClosed {
            if call.isBreakerProbe { guards.breaker?.releaseProbe() }
        } else if let failure, failure != .circuitOpen, call.attempt > 0 {
            guards.breaker?.recordFailure(now: now)
        }
        return true
    }

    /// The engine begins to close: nothing is sent from now on.
    package mutating func close() {
        self.isClosing = true
    }

    /// What a call still open when the engine closes ends with.
    package func close(_ call: inout Call) -> Next {
        .fail(.engineClosed(attempts: call.attempt, endpoint: call.endpoint))
    }

    // MARK: Helpers

    /// Out of attempts (or of time for the wait a server asked for): the error names the last failure.
    private func giveUp(
        _ call: inout Call,
        reason: String,
        retryAfter: Duration?,
        olderServerEpoch: UInt64?,
        now: ContinuousClock.Instant
    ) -> Next {
        if let olderServerEpoch {
            return .fail(.serverMapOlder(attempts: call.attempt, endpoint: call.endpoint, serverEpoch: olderServerEpoch, message: reason))
        }
        if let retryAfter {
            return .fail(.overloaded(attempts: call.attempt, endpoint: call.endpoint, retryAfter: retryAfter))
        }
        return .fail(.abandoned(attempts: call.attempt, endpoint: call.endpoint, lastFailure: reason))
    }

    /// The overall deadline ended the call: says so, with the deadline and the time actually waited.
    private func deadlineError(_ call: Call, detail: String, now: ContinuousClock.Instant) -> CorsairError {
        let waited = call.submittedAt.duration(to: now)
        let deadline = call.policy.deadline.map(DurationText.approximate) ?? "none"
        return .deadlineExceeded(
            attempts: call.attempt,
            endpoint: call.endpoint,
            lastFailure: "deadline of \(deadline) passed after \(DurationText.approximate(waited)); \(detail)"
        )
    }

    private static func breakerWait(_ guards: Guards, now: ContinuousClock.Instant) -> Duration? {
        guard case .open(let until) = guards.breaker?.state, until > now else { return nil }
        return now.duration(to: until)
    }

    static func describe(_ duration: Duration?) -> String {
        guard let duration else { return "none" }
        return DurationText.format(duration)
    }
}
