/// Client retry settings from the config's `retry:` section.
///
/// Every field is optional: `nil` means the file did not set it and the client applies its default,
/// listed in ``Defaults`` and in docs/CONFIG.md.
public struct RetrySettings: Hashable, Sendable {
    /// How random the wait between attempts is.
    public enum Jitter: String, Hashable, Sendable, CaseIterable {
        /// Exactly the exponential backoff.
        case none
        /// A uniform wait between zero and the backoff.
        case full
        /// Half the backoff plus a uniform wait up to the other half.
        case equal
        /// A uniform wait between the initial backoff and three times the previous wait, capped at the maximum.
        case decorrelated
    }

    /// What a retry does with the socket.
    public enum Mode: String, Hashable, Sendable, CaseIterable {
        /// Close the socket and connect a fresh one before each retry (the Lazy Pirate way).
        case recreate
        /// Send again on the same socket.
        case resend
        /// Many requests at once on one DEALER connection per endpoint, matched by request id; a
        /// timed-out request is resent on the same connection, and a connection that shows no sign
        /// of life (or fails its heartbeats) is rebuilt.
        case pipelined
    }

    /// The wait between attempts.
    public struct Backoff: Hashable, Sendable {
        /// The first wait.
        public var initial: Duration?
        /// The longest wait.
        public var max: Duration?
        /// How much each wait grows over the one before, at least 1.
        public var multiplier: Double?
        /// How random the wait is.
        public var jitter: Jitter?

        /// Backoff settings; `nil` leaves a field to its default.
        public init(initial: Duration? = nil, max: Duration? = nil, multiplier: Double? = nil, jitter: Jitter? = nil) {
            self.initial = initial
            self.max = max
            self.multiplier = multiplier
            self.jitter = jitter
        }
    }

    /// The retry budget, which caps retries at a share of requests so that retries cannot swamp a sick cluster.
    public struct Budget: Hashable, Sendable {
        /// Retries allowed per request sent, such as 0.2 for one retry per five requests.
        public var ratio: Double?
        /// Retries allowed per second whatever the ratio says, so that a quiet client can still retry.
        public var minPerSecond: Double?

        /// Budget settings; `nil` leaves a field to its default.
        public init(ratio: Double? = nil, minPerSecond: Double? = nil) {
            self.ratio = ratio
            self.minPerSecond = minPerSecond
        }
    }

    /// The per-shard circuit breaker.
    public struct CircuitBreaker: Hashable, Sendable {
        /// Consecutive failures that open the breaker.
        public var failures: Int?
        /// How long the breaker stays open before it lets a trial request through.
        public var openFor: Duration?

        /// Breaker settings; `nil` leaves a field to its default.
        public init(failures: Int? = nil, openFor: Duration? = nil) {
            self.failures = failures
            self.openFor = openFor
        }
    }

    /// The defaults a client applies to fields the file leaves out.
    public enum Defaults {
        /// 2500 ms.
        public static let attemptTimeout: Duration = .milliseconds(2500)
        /// 3.
        public static let attempts = 3
        /// 10 s.
        public static let deadline: Duration = .seconds(10)
        /// 50 ms.
        public static let backoffInitial: Duration = .milliseconds(50)
        /// 1 s.
        public static let backoffMax: Duration = .seconds(1)
        /// 2.
        public static let backoffMultiplier = 2.0
        /// Full jitter.
        public static let jitter = Jitter.full
        /// 0.2.
        public static let budgetRatio = 0.2
        /// 10 per second.
        public static let budgetMinPerSecond = 10.0
        /// 5 consecutive failures.
        public static let breakerFailures = 5
        /// 5 s.
        public static let breakerOpenFor: Duration = .seconds(5)
        /// Recreate the socket.
        public static let mode = Mode.recreate
        /// 1 s.
        public static let heartbeatInterval: Duration = .seconds(1)
        /// How many heartbeat intervals make the heartbeat timeout when the file sets none: 3.
        public static let heartbeatTimeoutIntervals = 3
    }

    /// How long one attempt waits for its reply.
    public var attemptTimeout: Duration?
    /// How many attempts a request gets, the first included; at least 1.
    public var attempts: Int?
    /// How long a request may take over all its attempts.
    public var deadline: Duration?
    /// The wait between attempts.
    public var backoff: Backoff
    /// The retry budget.
    public var budget: Budget
    /// The per-shard circuit breaker.
    public var circuitBreaker: CircuitBreaker
    /// What a retry does with the socket.
    public var mode: Mode?
    /// How often a pipelined connection pings its server (ZMTP heartbeats); zero turns heartbeats
    /// off (written `off` in the file).
    public var heartbeatInterval: Duration?
    /// How long a pipelined connection may stay silent after a ping before it counts as dead.
    public var heartbeatTimeout: Duration?

    /// Retry settings; `nil` leaves a field to its default.
    public init(
        attemptTimeout: Duration? = nil,
        attempts: Int? = nil,
        deadline: Duration? = nil,
        backoff: Backoff = Backoff(),
        budget: Budget = Budget(),
        circuitBreaker: CircuitBreaker = CircuitBreaker(),
        mode: Mode? = nil,
        heartbeatInterval: Duration? = nil,
        heartbeatTimeout: Duration? = nil
    ) {
        self.attemptTimeout = attemptTimeout
        self.attempts = attempts
        self.deadline = deadline
        self.backoff = backoff
        self.budget = budget
        self.circuitBreaker = circuitBreaker
        self.mode = mode
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatTimeout = heartbeatTimeout
    }
}
