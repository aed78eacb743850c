import Foundation

/// What `corsair load` reports, as a summary or as one JSON object.
struct LoadReport: Encodable, Sendable {
    var sent: Int
    var succeeded: Int
    var failed: Int
    var lost: Int
    var errors: [String: Int]
    var retries: Int
    var reconnects: Int
    var pushbacks: Int
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    var p999Milliseconds: Double
    var throughput: Double
    var elapsedSeconds: Double

    enum CodingKeys: String, CodingKey {
        case sent, succeeded, failed, lost, errors, retries, reconnects, pushbacks
        case p50Milliseconds = "p50_ms"
        case p99Milliseconds = "p99_ms"
        case p999Milliseconds = "p999_ms"
        case throughput = "throughput_rps"
        case elapsedSeconds = "elapsed_s"
    }

    init(_ counts: WorkloadBook.Counts, elapsed: Duration) {
        self.sent = counts.sent
        self.succeeded = counts.succeeded
        self.failed = counts.failed
        self.lost = counts.lost
        self.errors = counts.errors
        self.retries = counts.retries
        self.reconnects = counts.reconnects
        self.pushbacks = counts.pushbacks
        self.p50Milliseconds = Self.rounded(counts.latency.milliseconds(atPercentile: 50))
        self.p99Milliseconds = Self.rounded(counts.latency.milliseconds(atPercentile: 99))
        self.p999Milliseconds = Self.rounded(counts.latency.milliseconds(atPercentile: 99.9))
        let seconds = elapsed.seconds
        self.throughput = seconds > 0 ? Self.rounded(Double(counts.succeeded) / seconds) : 0
        self.elapsedSeconds = Self.rounded(seconds)
    }

    /// One line of JSON with sorted keys.
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The summary for a person.
    var lines: [String] {
        let errors = self.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return [
            "sent: \(self.sent)",
            "succeeded: \(self.succeeded)",
            "failed: \(self.failed)" + (errors.isEmpty ? "" : " (\(errors))"),
            "lost: \(self.lost)",
            "retries: \(self.retries) (reconnects \(self.reconnects), pushbacks \(self.pushbacks))",
            "latency: p50 \(Self.text(self.p50Milliseconds)) p99 \(Self.text(self.p99Milliseconds)) p99.9 \(Self.text(self.p999Milliseconds))",
            "throughput: \(Int(self.throughput.rounded())) req/s over \(String(format: "%.2f", self.elapsedSeconds))s",
        ]
    }

    private static func rounded(_ value: Double) -> Double {
        (value * 1000).rounded() / 1000
    }

    private static func text(_ milliseconds: Double) -> String {
        String(format: "%.2fms", milliseconds)
    }
}
