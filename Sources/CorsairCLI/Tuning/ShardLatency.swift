import Histogram

/// One shard's measured reply times during `corsair tune`, in an HdrHistogram (microseconds,
/// 1 µs to 10 minutes, 3 significant digits), with the requests it did not answer.
struct ShardLatency: Sendable {
    private static let highest: UInt64 = 600_000_000

    private var histogram = Histogram<UInt64>(highestTrackableValue: ShardLatency.highest, numberOfSignificantValueDigits: .three)
    /// Requests the shard did not answer within the calibration's attempt timeout.
    var unanswered = 0

    /// Replies measured.
    var count: Int { Int(self.histogram.totalCount) }

    mutating func record(_ latency: Duration) {
        let micros = max(0, latency / .microseconds(1))
        _ = self.histogram.record(min(UInt64(micros.rounded()), Self.highest))
    }

    /// The reply time at `percentile` (0–100), milliseconds; 0 without replies.
    func milliseconds(atPercentile percentile: Double) -> Double {
        guard self.count > 0 else { return 0 }
        return Double(self.histogram.valueAtPercentile(percentile)) / 1000
    }

    var minimumMilliseconds: Double { self.count > 0 ? Double(self.histogram.min) / 1000 : 0 }
    var maximumMilliseconds: Double { self.count > 0 ? Double(self.histogram.max) / 1000 : 0 }

    /// Replies slower than `limit`, plus the unanswered requests: what a timeout of `limit` would have retried.
    func slower(than limit: Duration) -> Int {
        let micros = UInt64(max(0, limit / .microseconds(1)))
        return self.count - Int(self.histogram.count(within: 0...micros)) + self.unanswered
    }
}
