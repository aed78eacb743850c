import UnitText

/// One shard's reply-time distribution, given by a few quantiles and sampled between them.
///
/// A sample draws a uniform quantile and interpolates linearly between the known points
/// (0 → ``minimum``, 0.5 → ``p50``, 0.99 → ``p99``, 0.999 → ``p999``, 1 → ``maximum``), so the
/// simulated shard has the measured median and tail without a fitted model.
///
/// ```swift
/// let profile = try LatencyProfile(p50: .microseconds(400), p99: .milliseconds(2), p999: .milliseconds(8), maximum: .milliseconds(20))
/// ```
public struct LatencyProfile: Hashable, Sendable {
    /// The fastest reply.
    public var minimum: Duration
    /// The median reply.
    public var p50: Duration
    /// The 99th percentile.
    public var p99: Duration
    /// The 99.9th percentile.
    public var p999: Duration
    /// The slowest reply.
    public var maximum: Duration

    /// What the simulator assumes without a latency file: a healthy shard on a local network
    /// (0.1 ms at best, 0.5 ms median, 2 ms at p99, 10 ms at p99.9, 25 ms at worst).
    public static let `default` = LatencyProfile(
        checkedMinimum: .microseconds(100),
        p50: .microseconds(500),
        p99: .milliseconds(2),
        p999: .milliseconds(10),
        maximum: .milliseconds(25)
    )

    private init(checkedMinimum minimum: Duration, p50: Duration, p99: Duration, p999: Duration, maximum: Duration) {
        self.minimum = minimum
        self.p50 = p50
        self.p99 = p99
        self.p999 = p999
        self.maximum = maximum
    }

    /// A profile from quantiles, which must not decrease; `minimum` defaults to half the median.
    ///
    /// - Throws: A message naming the first quantile out of order or negative.
    public init(
        minimum: Duration? = nil,
        p50: Duration,
        p99: Duration,
        p999: Duration,
        maximum: Duration
    ) throws(LatencyProfileError) {
        let minimum = minimum ?? p50 / 2
        let points: [(String, Duration)] = [("min_ms", minimum), ("p50_ms", p50), ("p99_ms", p99), ("p999_ms", p999), ("max_ms", maximum)]
        for (name, value) in points where value < .zero {
            throw LatencyProfileError(message: "\(name) is negative")
        }
        for index in 1..<points.count where points[index].1 < points[index - 1].1 {
            throw LatencyProfileError(message: "\(points[index].0) is below \(points[index - 1].0)")
        }
        self.init(checkedMinimum: minimum, p50: p50, p99: p99, p999: p999, maximum: maximum)
    }

    /// The quantile points in nanoseconds, for sampling without converting on every draw.
    var table: SampleTable {
        SampleTable(nanoseconds: [self.minimum, self.p50, self.p99, self.p999, self.maximum].map { Double($0.nanosecondsClamped) })
    }

    /// Precomputed points of a ``LatencyProfile`` for fast sampling.
    struct SampleTable: Sendable {
        static let quantiles: [Double] = [0, 0.5, 0.99, 0.999, 1]
        let nanoseconds: [Double]

        /// The reply time at quantile `u` (0..<1), in nanoseconds.
        func sample(_ u: Double) -> Int64 {
            let quantiles = Self.quantiles
            var index = 1
            while index < quantiles.count - 1 && u >= quantiles[index] {
                index += 1
            }
            let low = quantiles[index - 1]
            let high = quantiles[index]
            let share = (u - low) / (high - low)
            let value = self.nanoseconds[index - 1] + share * (self.nanoseconds[index] - self.nanoseconds[index - 1])
            return Int64(value.rounded())
        }
    }
}

/// Why a set of quantiles is not a distribution.
public struct LatencyProfileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, such as `p99_ms is below p50_ms`.
    public let message: String

    public var description: String { self.message }
}
