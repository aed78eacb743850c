import Corsair
import UnitText
import Foundation
import ShardMap

/// What `corsair tune` measured, per shard, and the judgments it draws from it.
struct TuneMeasurement: Sendable {
    /// One shard's figures, as `tune --json` prints them and `simulate --latency` reads them.
    struct Shard: Sendable, Encodable {
        var id: String
        var endpoint: String
        var count: Int
        var unanswered: Int
        var minimum: Double
        var p50: Double
        var p99: Double
        var p999: Double
        var maximum: Double
        var requestsPerSecond: Double
        let latency: ShardLatency

        enum CodingKeys: String, CodingKey {
            case id, endpoint, count, unanswered
            case minimum = "min_ms"
            case p50 = "p50_ms"
            case p99 = "p99_ms"
            case p999 = "p999_ms"
            case maximum = "max_ms"
            case requestsPerSecond = "rps"
        }

        init(_ info: ShardInfo, _ latency: ShardLatency, elapsed: Duration) {
            self.id = info.id
            self.endpoint = info.endpoint
            self.count = latency.count
            self.unanswered = latency.unanswered
            self.minimum = latency.minimumMilliseconds
            self.p50 = latency.milliseconds(atPercentile: 50)
            self.p99 = latency.milliseconds(atPercentile: 99)
            self.p999 = latency.milliseconds(atPercentile: 99.9)
            self.maximum = latency.maximumMilliseconds
            let seconds = elapsed / .seconds(1)
            self.requestsPerSecond = seconds > 0 ? (Double(latency.count) / seconds * 10).rounded() / 10 : 0
            self.latency = latency
        }
    }

    var shards: [Shard]
    var elapsed: Duration

    init(map: ShardMap, result: Calibration.Result) {
        self.shards = zip(map.shards, result.shards).map { Shard($0, $1, elapsed: result.elapsed) }
        self.elapsed = result.elapsed
    }

    /// The shard with the slowest p99.9.
    var worstTail: Shard {
        self.shards.max { $0.p999 < $1.p999 } ?? self.shards[0]
    }

    /// Requests per second to each shard, on average.
    var requestsPerSecondPerShard: Double {
        self.shards.isEmpty ? 0 : self.shards.reduce(0) { $0 + $1.requestsPerSecond } / Double(self.shards.count)
    }

    /// Share of all measured requests slower than `limit` or unanswered.
    func slowerShare(than limit: Duration) -> Double {
        let total = self.shards.reduce(0) { $0 + $1.count + $1.unanswered }
        guard total > 0 else { return 0 }
        return Double(self.shards.reduce(0) { $0 + $1.latency.slower(than: limit) }) / Double(total)
    }

    /// Plain-words judgments of `policy` (the file's current retry section) against the measurements.
    func judge(_ policy: RetryPolicy) -> [String] {
        let worst = self.worstTail
        let timeout = policy.attemptTimeout
        let timeoutText = DurationText.format(timeout)
        let failTime = TuneRecommendation.failTime(on: policy)
        var lines: [String] = []
        let multiple = worst.p999 > 0 ? TuneRecommendation.milliseconds(timeout) / worst.p999 : .infinity
        let spurious = self.slowerShare(than: timeout)
        if spurious >= 0.001 {
            lines.append(
                "attempt_timeout \(timeoutText) is below the tail: \(TuneRecommendation.percent(spurious)) of measured requests took longer "
                    + "(p99.9 \(TuneRecommendation.milliseconds(text: worst.p999))ms on \(worst.id)), so that share of requests would retry with nothing wrong"
            )
        } else if multiple > 20 {
            lines.append(
                "attempt_timeout \(timeoutText) is \(TuneRecommendation.format(multiple.rounded())) × your p99.9 "
                    + "(\(TuneRecommendation.milliseconds(text: worst.p999))ms on \(worst.id)): a dead shard takes \(Self.seconds(failTime)) to fail each request"
            )
        } else {
            lines.append(
                "attempt_timeout \(timeoutText) is \(TuneRecommendation.format((multiple * 10).rounded() / 10)) × your p99.9 "
                    + "(\(TuneRecommendation.milliseconds(text: worst.p999))ms on \(worst.id)): a fair margin; a dead shard takes \(Self.seconds(failTime)) to fail each request"
            )
        }
        if let deadline = policy.deadline {
            let needed = TuneRecommendation.timeNeeded(attempts: policy.attempts, timeout: timeout, backoff: policy.backoff)
            if deadline < needed {
                lines.append(
                    "deadline \(DurationText.format(deadline)) is shorter than the \(Self.seconds(needed)) that \(policy.attempts) attempts "
                        + "of \(timeoutText) and their backoff can take: the last attempts are cut short or never made"
                )
            } else {
                lines.append("deadline \(DurationText.format(deadline)) leaves room for all \(policy.attempts) attempts (\(Self.seconds(needed)) at most)")
            }
        } else {
            lines.append("no deadline: a request may take all \(policy.attempts) attempts and their backoff")
        }
        if let budget = policy.budget {
            let rate = self.requestsPerSecondPerShard
            let bound = rate > 0 ? 1 + budget.ratio + Double(budget.minPerSecond) / rate : .infinity
            let attemptsBound = min(bound, Double(policy.attempts))
            lines.append(
                "budget ratio \(TuneRecommendation.format(budget.ratio)), \(budget.minPerSecond)/s: at this client's \(Int(rate.rounded())) req/s per shard "
                    + "a dead shard gets at most \(TuneRecommendation.format((attemptsBound * 100).rounded() / 100)) attempts per request"
            )
        } else {
            lines.append("no retry budget: a dead shard gets all \(policy.attempts) attempts of every request")
        }
        if let breaker = policy.circuitBreaker {
            lines.append(
                "circuit breaker opens after \(breaker.failures) failed requests in a row (about \(Self.seconds(failTime)) each) and stays open "
                    + "\(DurationText.format(breaker.openFor)): a recovered shard waits up to that long"
            )
        } else {
            lines.append("no circuit breaker: every request to a dead shard waits out its attempts")
        }
        return lines
    }

    static func seconds(_ duration: Duration) -> String {
        let seconds = duration / .seconds(1)
        return seconds >= 1 ? "\(TuneRecommendation.format((seconds * 10).rounded() / 10)) s" : "\(TuneRecommendation.format((seconds * 1000).rounded())) ms"
    }
}
