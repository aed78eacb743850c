import Histogram

/// Request latencies in an HdrHistogram, microseconds from 1 µs to 10 minutes, 3 significant digits.
struct LatencyHistogram: Sendable {
    private static let highest: UInt64 = 600_000_000

    private var histogram = Histogram<UInt64>(highestTrackableValue: LatencyHistogram.highest, numberOfSignificantValueDigits: .three)

    /// How many latencies were recorded.
    var count: UInt64 { self.histogram.totalCount }

    mutating func record(_ latency: Duration) {
        let (seconds, attoseconds) = latency.components
        let micros = max(0, seconds) * 1_000_000 + max(0, attoseconds) / 1_000_000_000_000
        // Clamped rather than dropped, so a pathological latency still shows at the top.
        _ = self.histogram.record(min(UInt64(micros), Self.highest))
    }

    /// The latency at `percentile` (0–100) in milliseconds; 0 when nothing was recorded.
    func milliseconds(atPercentile percentile: Double) -> Double {
        guard self.histogram.totalCount > 0 else { return 0 }
        return Double(self.histogram.valueAtPercentile(percentile)) / 1000
    }

    /// The latency at `percentile` in milliseconds; `nil` when nothing was recorded.
    func recordedMilliseconds(atPercentile percentile: Double) -> Double? {
        self.histogram.totalCount > 0 ? self.milliseconds(atPercentile: percentile) : nil
    }

    /// Adds every latency recorded in `other`.
    mutating func add(_ other: LatencyHistogram) {
        self.histogram.add(other.histogram)
    }
}
