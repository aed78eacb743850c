/// Fails requests fast while an endpoint keeps failing, then lets a single probe test it.
///
/// The breaker counts *requests*, not attempts: a failure is a whole request the engine gave up
/// on (abandoned after its retries, or out of deadline), and a success is a request that got a
/// reply. Single attempts that time out and are retried successfully are not failures.
///
/// - **closed**: requests flow. ``Configuration/failures`` consecutive failures open it.
/// - **open(until:)**: requests are refused until `until`. The first request asked for at or
///   after `until` moves the breaker to half-open and is let through as the probe.
/// - **halfOpen**: exactly one probe is outstanding; other requests are refused. The probe's
///   success closes the breaker; its failure opens it again for ``Configuration/openFor``. A probe
///   that ends without an outcome (cancelled) must call ``releaseProbe()`` so another can go.
///
/// The breaker does not tell the probe's outcome from that of a request admitted before it
/// opened: any success closes it (the endpoint answered), and any failure while half-open
/// reopens it.
///
/// It is a value type with no locking, owned by one thread; time is passed in.
///
/// ```swift
/// var breaker = CircuitBreaker(configuration: .init())
/// guard breaker.allowRequest(now: .now) else { throw CorsairError.circuitOpen(endpoint: endpoint) }
/// // ... later, when the request has finished:
/// breaker.recordSuccess(now: .now)
/// ```
public struct CircuitBreaker: Sendable {
    /// When a ``CircuitBreaker`` opens and for how long.
    public struct Configuration: Sendable, Hashable {
        /// How many consecutive failed requests open the breaker; at least 1. Default: 5.
        public var failures: Int
        /// How long the breaker stays open before letting a probe through. Default: 5 s.
        public var openFor: Duration

        /// A configuration; every parameter has a default.
        ///
        /// - Parameters:
        ///   - failures: Consecutive failed requests that open the breaker. Default: 5.
        ///   - openFor: How long the breaker stays open before a probe. Default: 5 s.
        public init(failures: Int = 5, openFor: Duration = .seconds(5)) {
            self.failures = failures
            self.openFor = openFor
        }
    }

    /// Where the breaker is in its cycle.
    public enum State: Sendable, Hashable {
        /// Requests flow normally.
        case closed
        /// Requests are refused until the instant given.
        case open(until: ContinuousClock.Instant)
        /// One probe request may be outstanding; others are refused.
        case halfOpen
    }

    /// The configuration this breaker was created with.
    public let configuration: Configuration
    /// The current state. An expired `open` becomes `halfOpen` only when ``allowRequest(now:)`` is called.
    public private(set) var state: State = .closed
    /// Failed requests since the last success.
    public private(set) var consecutiveFailures: Int = 0
    /// Whether a half-open probe has been let through and has not yet finished.
    public private(set) var isProbeOutstanding: Bool = false

    /// A closed breaker with no failures counted.
    ///
    /// - Parameter configuration: When the breaker opens and for how long.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Whether a new request may be sent now.
    ///
    /// When it returns `true` in the half-open state, the caller's request is the probe and must
    /// end in ``recordSuccess(now:)``, ``recordFailure(now:)`` or ``releaseProbe()``.
    ///
    /// - Parameter now: The current time.
    /// - Returns: `true` to send the request; `false` to fail it fast with a circuit-open error.
    public mutating func allowRequest(now: ContinuousClock.Instant) -> Bool {
        switch self.state {
        case .closed:
            return true
        case .open(let until):
            guard now >= until else { return false }
            self.state = .halfOpen
            self.isProbeOutstanding = true
            return true
        case .halfOpen:
            guard !self.isProbeOutstanding else { return false }
            self.isProbeOutstanding = true
            return true
        }
    }

    /// Records a request that got a reply: closes the breaker and resets the failure count.
    ///
    /// - Parameter now: The current time.
    public mutating func recordSuccess(now: ContinuousClock.Instant) {
        self.state = .closed
        self.consecutiveFailures = 0
        self.isProbeOutstanding = false
    }

    /// Records a request the engine gave up on, opening the breaker at the threshold or when
    /// the failure comes while half-open.
    ///
    /// - Parameter now: The current time; the breaker opens until `now + openFor`.
    public mutating func recordFailure(now: ContinuousClock.Instant) {
        if self.consecutiveFailures < .max {
            self.consecutiveFailures += 1
        }
        switch self.state {
        case .closed:
            if self.consecutiveFailures >= max(self.configuration.failures, 1) {
                self.open(now: now)
            }
        case .halfOpen:
            self.open(now: now)
        case .open:
            // A late failure of a request admitted before the breaker opened: already open.
            break
        }
    }

    /// Gives back the half-open probe slot when the probe ended without an outcome, such as
    /// being cancelled, so that the next request can probe instead. Does nothing otherwise.
    public mutating func releaseProbe() {
        if case .halfOpen = self.state {
            self.isProbeOutstanding = false
        }
    }

    private mutating func open(now: ContinuousClock.Instant) {
        self.state = .open(until: now.advanced(by: max(self.configuration.openFor, .zero)))
        self.isProbeOutstanding = false
    }
}
