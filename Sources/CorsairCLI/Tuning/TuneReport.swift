import Corsair
import UnitText
import Foundation
import ShardMap

/// What `corsair tune` prints: as YAML with comments, or as one JSON object.
struct TuneReport: Encodable {
    struct Recommendation: Encodable {
        var attemptTimeoutMilliseconds: Double
        var attempts: Int
        var deadlineMilliseconds: Double
        var backoff: [String: String]
        var budget: [String: Double]
        var circuitBreaker: [String: Double]
        var mode: String
        var spuriousRetryRate: Double
        var yaml: String

        enum CodingKeys: String, CodingKey {
            case attempts, backoff, budget, mode, yaml
            case attemptTimeoutMilliseconds = "attempt_timeout_ms"
            case deadlineMilliseconds = "deadline_ms"
            case circuitBreaker = "circuit_breaker"
            case spuriousRetryRate = "spurious_retry_rate"
        }
    }

    var config: String
    var durationSeconds: Double
    var concurrency: Int
    var operation: String
    var shards: [TuneMeasurement.Shard]
    var judgments: [String]
    var recommendation: Recommendation

    enum CodingKeys: String, CodingKey {
        case config, concurrency, shards, judgments, recommendation
        case durationSeconds = "duration_s"
        case operation = "op"
    }

    init(config: String, concurrency: Int, operation: String, measurement: TuneMeasurement, current: RetryPolicy) {
        let recommended = TuneRecommendation(measurement: measurement, current: current)
        self.config = config
        self.durationSeconds = (measurement.elapsed / .milliseconds(1)).rounded() / 1000
        self.concurrency = concurrency
        self.operation = operation
        self.shards = measurement.shards
        self.judgments = measurement.judge(current)
        self.recommendation = Recommendation(
            attemptTimeoutMilliseconds: TuneRecommendation.milliseconds(recommended.attemptTimeout),
            attempts: recommended.attempts,
            deadlineMilliseconds: TuneRecommendation.milliseconds(recommended.deadline),
            backoff: [
                "initial": DurationText.format(recommended.backoffInitial),
                "max": DurationText.format(recommended.backoffMax),
                "multiplier": TuneRecommendation.format(recommended.backoffMultiplier),
                "jitter": recommended.jitter.rawValue,
            ],
            budget: ["ratio": recommended.budgetRatio, "min_per_second": Double(recommended.budgetMinPerSecond)],
            circuitBreaker: [
                "failures": Double(recommended.breakerFailures),
                "open_for_ms": TuneRecommendation.milliseconds(recommended.breakerOpenFor),
            ],
            mode: recommended.mode.rawValue,
            spuriousRetryRate: (recommended.spuriousRetryRate * 1e6).rounded() / 1e6,
            yaml: recommended.yaml.joined(separator: "\n") + "\n"
        )
    }

    /// Comment lines with the measurements and judgments, then the `retry:` section: all of it YAML.
    var lines: [String] {
        var lines = [
            "# corsair tune: \(TuneMeasurement.seconds(.milliseconds(Int64(self.durationSeconds * 1000)))) of \(self.operation) requests, "
                + "\(self.concurrency) in flight, against the \(self.shards.count) shards of \(self.config)",
            "# measured (ms)  " + ["requests", "p50", "p99", "p99.9", "max", "unanswered"].map { $0.padding(toLength: 10, withPad: " ", startingAt: 0) }.joined(),
        ]
        for shard in self.shards {
            let cells = ["\(shard.count)", Self.ms(shard.p50), Self.ms(shard.p99), Self.ms(shard.p999), Self.ms(shard.maximum), "\(shard.unanswered)"]
            lines.append("#   " + shard.id.padding(toLength: 13, withPad: " ", startingAt: 0) + cells.map { $0.padding(toLength: 10, withPad: " ", startingAt: 0) }.joined())
        }
        lines.append("# your retry: section now:")
        lines += self.judgments.map { "#   - \($0)" }
        lines.append("# recommended, to paste over the retry: section of \(self.config):")
        lines += self.recommendation.yaml.split(separator: "\n").map(String.init)
        return lines.map { String($0.reversed().drop { $0 == " " }.reversed()) }
    }

    private static func ms(_ value: Double) -> String {
        TuneRecommendation.milliseconds(text: value)
    }
}
