/// How the client engine retries a request: attempts, timeouts, backoff and the guards that stop
/// retries from overloading a failing endpoint.
///
/// Every field has a documented default, so `RetryPolicy()` (or ``default``) is a reasonable
/// start and callers change only what they need:
///
/// ```swift
/// var policy = RetryPolicy(attempts: 5, attemptTimeout: .milliseconds(500))
/// policy.circuitBreaker = nil   // never fail fast
/// try policy.validated()
/// ```
public struct RetryPolicy: Sendable, Hashable {
    /// What the engine does with the REQ socket when an attempt times out.
    public enum Mode: Sendable, Hashable {
        /// Close the socket with `LINGER 0` and open a new one before resending: the classic
        /// Lazy Pirate. Works with any server, but reconnects on every timeout.
        case recreate
        /// Keep the socket, with `REQ_RELAXED` and `REQ_CORRELATE` set, and resend on it. Cheaper,
        /// and replies to earlier attempts are discarded by correlation.
        case resend
        /// One DEALER connection per endpoint carries many requests at once, each framed as a REQ
        /// socket frames it (so servers need no change) and its reply matched by request id. A
        /// timed-out request is resent with the same request id on the same connection; only when
        /// the connection shows no sign of life (no reply to any of its requests) for an attempt
        /// timeout, or ZMTP heartbeats (``RetryPolicy/heartbeat``) find it dead, is it closed with
        /// `LINGER 0`, reopened, and every request on it resent. Raw requests, which carry no
        /// request id, use ``recreate`` instead.
        case pipelined
    }

    /// The most sends per request, counting the first; at least 1. Default: 3.
    public var attempts: Int
    /// How long each attempt waits for a reply before it counts as failed. Default: 2.5 s.
    public var attemptTimeout: Duration
    /// The most time a whole request may take, across all attempts and backoff; `nil` for no
    /// overall limit beyond `attempts × attemptTimeout` plus backoff. Default: 10 s.
    public var deadline: Duration?
    /// The wait between a failed attempt and the next. Default: ``Backoff/init(initial:maximum:multiplier:jitter:)``
    /// with its defaults (50 ms doubling to 1 s, full jitter).
    public var backoff: Backoff
    /// The per-endpoint retry budget; `nil` disables it. Default: ``RetryBudget/Configuration/init(ratio:minPerSecond:window:)``
    /// with its defaults (ratio 0.2, 10 per second, 10 s window).
    public var budget: RetryBudget.Configuration?
    /// The per-endpoint circuit breaker; `nil` disables it. Default: ``CircuitBreaker/Configuration/init(failures:openFor:)``
    /// with its defaults (5 failures, open for 5 s).
    public var circuitBreaker: CircuitBreaker.Configuration?
    /// What happens to the socket on a timeout. Default: ``Mode/recreate``.
    public var mode: Mode
    /// ZMTP heartbeats on ``Mode/pipelined`` connections, a second way to learn that a connection is
    /// dead; `nil` turns them off. Other modes ignore it. Default: ``Heartbeat/init(interval:timeout:)``
    /// with its defaults (a ping every second, dropped after 3 s without traffic).
    public var heartbeat: Heartbeat?

    /// The policy with every default.
    public static let `default` = RetryPolicy()

    /// A policy; every parameter has a default.
    ///
    /// - Parameters:
    ///   - attempts: The most sends per request, counting the first. Default: 3.
    ///   - attemptTimeout: How long each attempt waits for a reply. Default: 2.5 s.
    ///   - deadline: The most time a whole request may take; `nil` for no overall limit. Default: 10 s.
    ///   - backoff: The wait between attempts. Default: `Backoff()`.
    ///   - budget: The retry budget, or `nil` to disable it. Default: `.init()`.
    ///   - circuitBreaker: The circuit breaker, or `nil` to disable it. Default: `.init()`.
    ///   - mode: What happens to the socket on a timeout. Default: ``Mode/recreate``.
    ///   - heartbeat: ZMTP heartbeats on pipelined connections, or `nil` for none. Default: `.init()`.
    public init(
        attempts: Int = 3,
        attemptTimeout: Duration = .milliseconds(2500),
        deadline: Duration? = .seconds(10),
        backoff: Backoff = Backoff(),
        budget: RetryBudget.Configuration? = .init(),
        circuitBreaker: CircuitBreaker.Configuration? = .init(),
        mode: Mode = .recreate,
        heartbeat: Heartbeat? = Heartbeat()
    ) {
        self.attempts = attempts
        self.attemptTimeout = attemptTimeout
        self.deadline = deadline
        self.backoff = backoff
        self.budget = budget
        self.circuitBreaker = circuitBreaker
        self.mode = mode
        self.heartbeat = heartbeat
    }

    /// Checks that every field is usable, throwing for the first that is not.
    ///
    /// The policy types themselves never trap on bad values, but they quietly clamp them; call
    /// this where a policy comes from configuration or a command line so mistakes are reported.
    ///
    /// - Throws: ``RetryPolicyError`` naming the field and why it was rejected.
    public func validated() throws(RetryPolicyError) {
        guard self.attempts >= 1 else {
            throw RetryPolicyError(code: .invalidAttempts, field: "attempts", message: "must be at least 1, got \(self.attempts)")
        }
        guard self.attemptTimeout > .zero else {
            throw RetryPolicyError(code: .invalidTimeout, field: "attemptTimeout", message: "must be positive, got \(self.attemptTimeout)")
        }
        if let deadline = self.deadline, deadline <= .zero {
            throw RetryPolicyError(code: .invalidDeadline, field: "deadline", message: "must be positive, got \(deadline)")
        }
        try self.backoff.validated()
        if let budget = self.budget {
            try budget.validated()
        }
        if let circuitBreaker = self.circuitBreaker {
            try circuitBreaker.validated()
        }
        if let heartbeat = self.heartbeat {
            try heartbeat.validated()
        }
    }
}

extension Backoff {
    /// Checks that the backoff is usable, throwing for the first field that is not.
    ///
    /// - Throws: ``RetryPolicyError`` with code ``RetryPolicyError/Code/invalidBackoff``.
    public func validated() throws(RetryPolicyError) {
        guard self.initial >= .zero else {
            throw RetryPolicyError(code: .invalidBackoff, field: "backoff.initial", message: "must not be negative, got \(self.initial)")
        }
        guard self.maximum >= self.initial else {
            throw RetryPolicyError(
                code: .invalidBackoff,
                field: "backoff.maximum",
                message: "must be at least backoff.initial (\(self.initial)), got \(self.maximum)"
            )
        }
        guard self.multiplier.isFinite, self.multiplier >= 1 else {
            throw RetryPolicyError(code: .invalidBackoff, field: "backoff.multiplier", message: "must be finite and at least 1, got \(self.multiplier)")
        }
    }
}

extension RetryBudget.Configuration {
    /// Checks that the budget configuration is usable, throwing for the first field that is not.
    ///
    /// - Throws: ``RetryPolicyError`` with code ``RetryPolicyError/Code/invalidBudget``.
    public func validated() throws(RetryPolicyError) {
        guard self.ratio.isFinite, self.ratio >= 0 else {
            throw RetryPolicyError(code: .invalidBudget, field: "budget.ratio", message: "must be finite and not negative, got \(self.ratio)")
        }
        guard self.minPerSecond >= 0 else {
            throw RetryPolicyError(code: .invalidBudget, field: "budget.minPerSecond", message: "must not be negative, got \(self.minPerSecond)")
        }
        guard self.window > .zero else {
            throw RetryPolicyError(code: .invalidBudget, field: "budget.window", message: "must be positive, got \(self.window)")
        }
    }
}

extension CircuitBreaker.Configuration {
    /// Checks that the breaker configuration is usable, throwing for the first field that is not.
    ///
    /// - Throws: ``RetryPolicyError`` with code ``RetryPolicyError/Code/invalidCircuitBreaker``.
    public func validated() throws(RetryPolicyError) {
        guard self.failures >= 1 else {
            throw RetryPolicyError(
                code: .invalidCircuitBreaker,
                field: "circuitBreaker.failures",
                message: "must be at least 1, got \(self.failures)"
            )
        }
        guard self.openFor > .zero else {
            throw RetryPolicyError(
                code: .invalidCircuitBreaker,
                field: "circuitBreaker.openFor",
                message: "must be positive, got \(self.openFor)"
            )
        }
    }
}
