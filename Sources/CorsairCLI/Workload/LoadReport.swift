import Foundation

/// What `corsair load` reports, as a summary or as one JSON object.
///
/// Latency fields are `null` (and the summary says "none") when no request succeeded, so that a
/// dead cluster never reads as a fast one.
struct LoadReport: Encodable, Sendable {
    /// The counts of one shard, or of the whole run.
    struct Part: Encodable, Sendable {
        var sent: Int
        var succeeded: Int
        var failed: Int
        var lost: Int
        var errors: [String: Int]
        var retries: Int
        /// Successful requests by the attempt that succeeded, the first attempt first.
        var succeededByAttempt: [Int]
        var p50Milliseconds: Double?
        var p99Milliseconds: Double?
        var p999Milliseconds: Double?
        var maxMilliseconds: Double?

        enum CodingKeys: String, CodingKey {
            case sent, succeeded, failed, lost, errors, retries
            case succeededByAttempt = "succeeded_by_attempt"
            case p50Milliseconds = "p50_ms"
            case p99Milliseconds = "p99_ms"
            case p999Milliseconds = "p999_ms"
            case maxMilliseconds = "max_ms"
        }

        init(_ tally: LoadTally, attempts: Int) {
            self.sent = tally.sent
            self.succeeded = tally.succeeded
            self.failed = tally.failed
            self.lost = tally.lost
            self.errors = tally.errors
            self.retries = tally.retries
            self.succeededByAttempt = tally.succeededByAttempt
                + repeatElement(0, count: max(0, attempts - tally.succeededByAttempt.count))
            self.p50Milliseconds = tally.latency.recordedMilliseconds(atPercentile: 50).map(LoadReport.rounded)
            self.p99Milliseconds = tally.latency.recordedMilliseconds(atPercentile: 99).map(LoadReport.rounded)
            self.p999Milliseconds = tally.latency.recordedMilliseconds(atPercentile: 99.9).map(LoadReport.rounded)
            self.maxMilliseconds = tally.latency.recordedMilliseconds(atPercentile: 100).map(LoadReport.rounded)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try self.encodeCounts(into: &container)
        }

        /// Every field, the latencies as `null` when nothing succeeded.
        func encodeCounts(into container: inout KeyedEncodingContainer<CodingKeys>) throws {
            try container.encode(self.sent, forKey: .sent)
            try container.encode(self.succeeded, forKey: .succeeded)
            try container.encode(self.failed, forKey: .failed)
            try container.encode(self.lost, forKey: .lost)
            try container.encode(self.errors, forKey: .errors)
            try container.encode(self.retries, forKey: .retries)
            try container.encode(self.succeededByAttempt, forKey: .succeededByAttempt)
            try container.encode(self.p50Milliseconds, forKey: .p50Milliseconds)
            try container.encode(self.p99Milliseconds, forKey: .p99Milliseconds)
            try container.encode(self.p999Milliseconds, forKey: .p999Milliseconds)
            try container.encode(self.maxMilliseconds, forKey: .maxMilliseconds)
        }

        /// `p50 0.41ms p99 1.20ms p99.9 2.05ms`, or `none (no request succeeded)`.
        var latencyText: String {
            guard let p50 = self.p50Milliseconds, let p99 = self.p99Milliseconds, let p999 = self.p999Milliseconds else {
                return "none (no request succeeded)"
            }
            return "p50 \(LoadReport.text(p50)) p99 \(LoadReport.text(p99)) p99.9 \(LoadReport.text(p999))"
        }

        /// `abandoned=3 circuit_open=5`.
        var errorText: String {
            self.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
    }

    /// One shard's counts, named.
    struct Shard: Encodable, Sendable {
        var id: String
        var endpoint: String
        var counts: Part

        enum CodingKeys: String, CodingKey {
            case endpoint
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Part.CodingKeys.self)
            try self.counts.encodeCounts(into: &container)
            var named = encoder.container(keyedBy: CodingKeys.self)
            try named.encode(self.endpoint, forKey: .endpoint)
        }
    }

    var total: Part
    var shards: [Shard]
    var reconnects: Int
    var pushbacks: Int
    var throughput: Double
    var elapsedSeconds: Double
    var concurrency: Int
    /// The intended rate of an open-loop run; `nil` for a closed loop.
    var rate: Double?
    /// Why the run stopped early, if it did.
    var stopped: LoadBook.Stop?

    enum CodingKeys: String, CodingKey {
        case reconnects, pushbacks, shards, concurrency, stopped
        case throughput = "throughput_rps"
        case elapsedSeconds = "elapsed_s"
        case rate = "rate_rps"
    }

    init(
        shards: [(id: String, endpoint: String, tally: LoadTally)],
        attempts: Int,
        book: LoadBook,
        elapsed: Duration,
        concurrency: Int,
        rate: Double?,
        stopped: LoadBook.Stop?
    ) {
        var total = LoadTally()
        for shard in shards {
            total.add(shard.tally)
        }
        self.total = Part(total, attempts: attempts)
        self.shards = shards.map { Shard(id: $0.id, endpoint: $0.endpoint, counts: Part($0.tally, attempts: attempts)) }
        self.reconnects = book.reconnects
        self.pushbacks = book.pushbacks
        let seconds = elapsed.seconds
        self.throughput = seconds > 0 ? Self.rounded(Double(total.succeeded) / seconds) : 0
        self.elapsedSeconds = Self.rounded(seconds)
        self.concurrency = concurrency
        self.rate = rate
        self.stopped = stopped
    }

    func encode(to encoder: any Encoder) throws {
        var counts = encoder.container(keyedBy: Part.CodingKeys.self)
        try self.total.encodeCounts(into: &counts)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.reconnects, forKey: .reconnects)
        try container.encode(self.pushbacks, forKey: .pushbacks)
        try container.encode(self.throughput, forKey: .throughput)
        try container.encode(self.elapsedSeconds, forKey: .elapsedSeconds)
        try container.encode(self.concurrency, forKey: .concurrency)
        try container.encode(self.rate, forKey: .rate)
        try container.encode(self.stopped?.rawValue, forKey: .stopped)
        try container.encode(Dictionary(uniqueKeysWithValues: self.shards.map { ($0.id, $0) }), forKey: .shards)
    }

    /// One line of JSON with sorted keys.
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The summary for a person: the run's lines, then one line per shard.
    var lines: [String] {
        let errors = self.total.errorText
        let byAttempt = self.total.succeededByAttempt.enumerated().map { "\($0.offset + 1): \($0.element)" }.joined(separator: ", ")
        var lines = [
            "sent: \(self.total.sent)",
            "succeeded: \(self.total.succeeded)",
            "failed: \(self.total.failed)" + (errors.isEmpty ? "" : " (\(errors))"),
            "lost: \(self.total.lost)",
            "retries: \(self.total.retries) (reconnects \(self.reconnects), pushbacks \(self.pushbacks))",
            "succeeded by attempt: \(byAttempt)",
            "latency: \(self.total.latencyText)" + (self.rate == nil ? "" : " (from each request's intended send time)"),
            "throughput: \(Int(self.throughput.rounded())) req/s over \(String(format: "%.2f", self.elapsedSeconds))s"
                + (self.rate.map { " (intended \(Int($0.rounded())) req/s)" } ?? ""),
        ]
        for shard in self.shards {
            let counts = shard.counts
            let errors = counts.errorText
            let name = shard.id == shard.endpoint ? shard.id : "\(shard.id) \(shard.endpoint)"
            lines.append(
                "shard \(name): sent \(counts.sent), succeeded \(counts.succeeded), "
                    + "failed \(counts.failed)" + (errors.isEmpty ? "" : " (\(errors))")
                    + (counts.lost == 0 ? "" : ", lost \(counts.lost)")
                    + ", latency \(counts.latencyText)"
            )
        }
        return lines
    }

    static func rounded(_ value: Double) -> Double {
        (value * 1000).rounded() / 1000
    }

    private static func text(_ milliseconds: Double) -> String {
        String(format: "%.2fms", milliseconds)
    }
}
