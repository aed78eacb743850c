/// A per-endpoint allowance of retries that grows with successful traffic, so retries cannot
/// multiply load on an endpoint that is already failing.
///
/// Every request's first attempt deposits ``Configuration/ratio`` of a retry; every retry
/// withdraws one. On top of the deposits there is a fixed reserve of
/// ``Configuration/minPerSecond`` × ``Configuration/window`` (in seconds), so lightly loaded
/// clients can still retry. Deposits and withdrawals count only while they are inside the sliding
/// ``Configuration/window``, so the reserve refills at about `minPerSecond` retries per second.
/// A retry is allowed while
///
///     ratio × requests(window) + minPerSecond × windowSeconds − retries(window) ≥ 1
///
/// With a dead endpoint and steady traffic this limits retries to about
/// `ratio × requests + minPerSecond` per second, like Finagle's `RetryBudget` and gRPC's retry
/// throttling. A fresh budget can spend the whole reserve at once, as a burst.
///
/// The window is kept as a ring of ``bucketCount`` time buckets, so memory does not depend on the
/// request rate. Buckets expire whole: an event leaves the window between
/// `window × (bucketCount − 1) / bucketCount` and `window` after it happened.
///
/// It is a value type with no locking: one owner (the client engine's I/O thread) mutates it.
/// Time is passed in, so it is a deterministic function of the instants it is given.
///
/// ```swift
/// var budget = RetryBudget(configuration: .init())
/// budget.recordRequest(now: .now)          // first attempt of a request
/// if budget.tryWithdraw(now: .now) {       // before sending a retry
///     // send it
/// }
/// ```
public struct RetryBudget: Sendable {
    /// How generous a ``RetryBudget`` is.
    public struct Configuration: Sendable, Hashable {
        /// The fraction of a retry each request deposits; 0.2 allows one retry per five requests.
        /// Default: 0.2.
        public var ratio: Double
        /// The retries per second allowed regardless of traffic. The reserve is this times the
        /// window in seconds. Default: 10.
        public var minPerSecond: Int
        /// How long deposits and withdrawals count. Default: 10 s.
        public var window: Duration

        /// A configuration; every parameter has a default.
        ///
        /// - Parameters:
        ///   - ratio: The fraction of a retry each request deposits. Default: 0.2.
        ///   - minPerSecond: Retries per second allowed regardless of traffic. Default: 10.
        ///   - window: How long deposits and withdrawals count. Default: 10 s.
        public init(ratio: Double = 0.2, minPerSecond: Int = 10, window: Duration = .seconds(10)) {
            self.ratio = ratio
            self.minPerSecond = minPerSecond
            self.window = window
        }
    }

    /// How many buckets the sliding window is divided into.
    public static let bucketCount = 10

    private struct Bucket: Sendable {
        /// Which bucket period this slot currently holds; slots from older periods are stale.
        var period: Int64 = .min
        var requests: Int = 0
        var retries: Int = 0
    }

    /// The configuration this budget was created with.
    public let configuration: Configuration

    private var buckets: [Bucket]
    /// The instant bucket periods are counted from: the first instant the budget saw.
    private var origin: ContinuousClock.Instant?
    /// The newest bucket period seen; instants before it count toward it.
    private var currentPeriod: Int64 = 0
    private let bucketWidth: Duration
    private let reserve: Double
    /// ``Configuration/ratio``, with values validation rejects (negative, NaN, infinite) read as 0.
    private let ratio: Double

    /// A full budget: the reserve is available and nothing has been deposited yet.
    ///
    /// - Parameter configuration: How generous the budget is.
    public init(configuration: Configuration) {
        self.configuration = configuration
        self.buckets = Array(repeating: Bucket(), count: Self.bucketCount)
        // A non-positive window (rejected by validation) degrades to a tiny one instead of dividing by zero.
        let window = max(configuration.window, .nanoseconds(Self.bucketCount))
        self.bucketWidth = window / Self.bucketCount
        let windowSeconds = window / .seconds(1)
        let reserve = Double(max(configuration.minPerSecond, 0)) * windowSeconds
        self.reserve = reserve.isFinite ? reserve : .greatestFiniteMagnitude
        self.ratio = configuration.ratio.isFinite && configuration.ratio > 0 ? configuration.ratio : 0
    }

    /// Records a request's first attempt, depositing ``Configuration/ratio`` of a retry.
    ///
    /// Call this once per request, not per attempt.
    ///
    /// - Parameter now: The current time.
    public mutating func recordRequest(now: ContinuousClock.Instant) {
        let index = self.advance(to: now)
        self.buckets[index].requests &+= 1
    }

    /// Withdraws one retry if the budget allows it.
    ///
    /// - Parameter now: The current time.
    /// - Returns: `true` if the retry may be sent (and has been counted); `false` if the budget is
    ///   spent and the request should fail instead of retrying.
    public mutating func tryWithdraw(now: ContinuousClock.Instant) -> Bool {
        let index = self.advance(to: now)
        // The tolerance keeps float rounding in `ratio × requests` from refusing an exact last retry.
        guard self.balance() >= 1 - 1e-9 else { return false }
        self.buckets[index].retries &+= 1
        return true
    }

    /// How many retries could be withdrawn now; may be fractional, never negative.
    ///
    /// Meant for metrics and tests. It does not mutate, so it ages the window to `now` on a copy.
    ///
    /// - Parameter now: The current time.
    public func available(now: ContinuousClock.Instant) -> Double {
        var copy = self
        _ = copy.advance(to: now)
        return max(0, copy.balance())
    }

    private func balance() -> Double {
        var requests = 0
        var retries = 0
        let oldest = self.currentPeriod &- Int64(Self.bucketCount - 1)
        for bucket in self.buckets where bucket.period >= oldest && bucket.period <= self.currentPeriod {
            requests &+= bucket.requests
            retries &+= bucket.retries
        }
        return Double(requests) * self.ratio + self.reserve - Double(retries)
    }

    /// Moves the window forward to `now`, clearing slots that fall out, and returns the slot for `now`.
    private mutating func advance(to now: ContinuousClock.Instant) -> Int {
        guard let origin = self.origin else {
            self.origin = now
            self.currentPeriod = 0
            self.buckets[0] = Bucket(period: 0)
            return 0
        }
        let elapsed = (now - origin) / self.bucketWidth
        // Instants before the newest seen (out-of-order callers) count toward the newest bucket.
        let period = elapsed.isFinite && elapsed < 9e18 ? max(Int64(elapsed.rounded(.down)), self.currentPeriod) : .max
        let slot = Self.slot(for: period)
        if period != self.currentPeriod {
            // Only the slots between the old and new period need clearing; at most all of them.
            let steps = min(period &- self.currentPeriod, Int64(Self.bucketCount))
            var step: Int64 = 1
            while step <= steps {
                let cleared = period &- steps &+ step
                self.buckets[Self.slot(for: cleared)] = Bucket(period: cleared)
                step += 1
            }
            self.currentPeriod = period
        }
        return slot
    }

    private static func slot(for period: Int64) -> Int {
        Int(period % Int64(bucketCount))
    }
}
