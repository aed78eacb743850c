import Histogram

/// Round-trip latency percentiles, in microseconds.
struct LatencySummary: Sendable, Codable {
    var p50: Double
    var p99: Double
    var p999: Double

    enum CodingKeys: String, CodingKey {
        case p50 = "p50_us"
        case p99 = "p99_us"
        case p999 = "p999_us"
    }

    /// Percentiles of a histogram recorded in nanoseconds.
    init(nanoseconds histogram: Histogram<UInt64>) {
        self.p50 = Double(histogram.valueAtPercentile(50)) / 1000
        self.p99 = Double(histogram.valueAtPercentile(99)) / 1000
        self.p999 = Double(histogram.valueAtPercentile(99.9)) / 1000
    }

    init(p50: Double, p99: Double, p999: Double) {
        self.p50 = p50
        self.p99 = p99
        self.p999 = p999
    }

    /// Each percentile's median over several rounds.
    static func median(of rounds: [LatencySummary]) -> LatencySummary {
        LatencySummary(
            p50: Statistics.median(rounds.map(\.p50)),
            p99: Statistics.median(rounds.map(\.p99)),
            p999: Statistics.median(rounds.map(\.p999))
        )
    }

    /// An empty histogram for round trips from 1 µs to 100 s, three significant digits.
    static func histogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 100_000_000_000, numberOfSignificantValueDigits: .three)
    }
}
