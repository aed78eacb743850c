import Corsair
import UnitText
import Foundation
import ShardMap

/// The `retry:` section `corsair tune` recommends from its measurements, each value with the reason for it.
struct TuneRecommendation: Sendable {
    /// The shortest attempt timeout recommended: below it, pauses of the client machine alone
    /// (scheduling, a busy core) cause retries.
    static let timeoutFloor: Duration = .milliseconds(10)
    /// The attempt timeout is this many times the worst shard's p99.9.
    static let tailMargin = 3.0

    var attemptTimeout: Duration
    var attempts: Int
    var deadline: Duration
    var backoffInitial: Duration
    var backoffMax: Duration
    var backoffMultiplier: Double
    var jitter: RetrySettings.Jitter
    var budgetRatio: Double
    var budgetMinPerSecond: Int
    var breakerFailures: Int
    var breakerOpenFor: Duration
    var mode: RetrySettings.Mode
    /// The file's ZMTP heartbeats, kept (pipelined mode only; `nil` when they are off).
    var heartbeat: RetryPolicy.Heartbeat?
    /// Share of measured requests slower than ``attemptTimeout`` (or unanswered): the retries it would cause with no fault.
    var spuriousRetryRate: Double
    /// Each field's reason, by YAML key path.
    var reasons: [String: String]

    /// A recommendation from the measurements, keeping the current mode.
    init(measurement: TuneMeasurement, current: RetryPolicy) {
        let worst = measurement.worstTail
        let tail = worst.p999
        var reasons: [String: String] = [:]

        let timeout = Self.niceMilliseconds(max(Self.tailMargin * tail, Self.milliseconds(Self.timeoutFloor)))
        self.attemptTimeout = timeout
        self.spuriousRetryRate = measurement.slowerShare(than: timeout)
        let floorApplies = Self.tailMargin * tail < Self.milliseconds(Self.timeoutFloor)
        reasons["attempt_timeout"] = (floorApplies
            ? "the \(DurationText.format(Self.timeoutFloor)) floor (\(Self.format(Self.tailMargin)) × the worst p99.9, \(Self.milliseconds(text: tail))ms on \(worst.id), is below it)"
            : "\(Self.format(Self.tailMargin)) × the worst p99.9 (\(Self.milliseconds(text: tail))ms on \(worst.id))")
            + "; \(Self.percent(self.spuriousRetryRate)) of measured requests took longer: that share would retry with nothing wrong"

        self.attempts = 3
        reasons["attempts"] = "a retry on a fresh connection, then one more; past that a shard is down, not slow"

        self.backoffInitial = Self.niceMilliseconds(min(max(Self.milliseconds(timeout) / 4, 1), 100))
        self.backoffMax = Self.niceMilliseconds(Self.milliseconds(self.backoffInitial) * 8)
        self.backoffMultiplier = 2
        self.jitter = .full
        reasons["backoff.initial"] = "a quarter of the attempt timeout (1ms to 100ms): long enough to spread retries, short next to the timeout"
        reasons["backoff.max"] = "8 × initial"
        reasons["backoff.multiplier"] = "doubling"
        reasons["backoff.jitter"] = "full: clients that failed together do not retry together"

        let needed = Self.timeNeeded(
            attempts: self.attempts,
            timeout: timeout,
            backoff: Backoff(initial: self.backoffInitial, maximum: self.backoffMax, multiplier: self.backoffMultiplier, jitter: .none)
        )
        self.deadline = Self.niceMilliseconds(Self.milliseconds(needed) * 1.2)
        reasons["deadline"] = "\(self.attempts) attempts × \(DurationText.format(timeout)) plus the longest backoffs is \(DurationText.format(needed)), plus 20%"

        self.budgetRatio = 0.2
        self.budgetMinPerSecond = 10
        let rate = measurement.requestsPerSecondPerShard
        reasons["budget.ratio"] = "retries may add 20% to a failing shard's load"
        reasons["budget.min_per_second"] = rate > 0
            ? "so a quiet client can still retry; at the \(Int(rate.rounded())) req/s per shard measured here a dead shard gets at most \(Self.format(1 + 0.2 + 10 / rate)) attempts per request"
            : "so a quiet client can still retry"

        self.breakerFailures = 5
        self.breakerOpenFor = max(.seconds(1), Self.niceMilliseconds(Self.milliseconds(self.deadline)))
        reasons["circuit_breaker.failures"] = "5 requests in a row failing is an outage, not bad luck"
        reasons["circuit_breaker.open_for"] = "one probe per \(DurationText.format(self.breakerOpenFor)) to a dead shard; a recovered shard waits at most this long (at least 1s, at least the deadline)"

        switch current.mode {
        case .recreate:
            self.mode = .recreate
            reasons["mode"] = "kept: a fresh socket per retry (Lazy Pirate)"
        case .resend:
            self.mode = .resend
            reasons["mode"] = "kept: resend on the same socket"
        case .pipelined:
            self.mode = .pipelined
            reasons["mode"] = "kept: many requests per connection, resent on it"
        }
        self.heartbeat = current.heartbeat
        if self.mode == .pipelined {
            reasons["heartbeat_interval"] = Self.heartbeatReason(current.heartbeat, attemptTimeout: timeout)
            reasons["heartbeat_timeout"] = "kept: this long without traffic after a ping drops the connection (the server drops a client silent this long too)"
        }
        self.reasons = reasons
    }

    /// The policy this recommendation describes.
    var policy: RetryPolicy {
        RetryPolicy(self.settings)
    }

    /// The recommendation as the config file's settings.
    var settings: RetrySettings {
        RetrySettings(
            attemptTimeout: self.attemptTimeout,
            attempts: self.attempts,
            deadline: self.deadline,
            backoff: .init(initial: self.backoffInitial, max: self.backoffMax, multiplier: self.backoffMultiplier, jitter: self.jitter),
            budget: .init(ratio: self.budgetRatio, minPerSecond: Double(self.budgetMinPerSecond)),
            circuitBreaker: .init(failures: self.breakerFailures, openFor: self.breakerOpenFor),
            mode: self.mode,
            heartbeatInterval: self.mode == .pipelined ? (self.heartbeat?.interval ?? .zero) : nil,
            heartbeatTimeout: self.mode == .pipelined ? self.heartbeat?.timeout : nil
        )
    }

    /// Why the file's heartbeats are kept, and what they add to the attempt timeout's silence rule.
    static func heartbeatReason(_ heartbeat: RetryPolicy.Heartbeat?, attemptTimeout: Duration) -> String {
        guard let heartbeat else {
            return "kept off: a dead connection is found only by \(DurationText.format(attemptTimeout)) of silence"
        }
        let finds = heartbeat.timeout < attemptTimeout
            ? "finds a dead connection within \(DurationText.format(heartbeat.timeout)), before the attempt timeout"
            : "finds a dead connection no sooner than the attempt timeout's silence rule (\(DurationText.format(attemptTimeout))); a shorter heartbeat_timeout would"
        return "kept: one ping per \(DurationText.format(heartbeat.interval)) per connection, nothing per request; \(finds)"
    }

    /// The `retry:` section, each field with its reason as a comment.
    var yaml: [String] {
        let fields: [(indent: Int, key: String, path: String, value: String?)] = [
            (0, "retry", "", nil),
            (1, "attempt_timeout", "attempt_timeout", DurationText.format(self.attemptTimeout)),
            (1, "attempts", "attempts", "\(self.attempts)"),
            (1, "deadline", "deadline", DurationText.format(self.deadline)),
            (1, "backoff", "", nil),
            (2, "initial", "backoff.initial", DurationText.format(self.backoffInitial)),
            (2, "max", "backoff.max", DurationText.format(self.backoffMax)),
            (2, "multiplier", "backoff.multiplier", Self.format(self.backoffMultiplier)),
            (2, "jitter", "backoff.jitter", self.jitter.rawValue),
            (1, "budget", "", nil),
            (2, "ratio", "budget.ratio", Self.format(self.budgetRatio)),
            (2, "min_per_second", "budget.min_per_second", "\(self.budgetMinPerSecond)"),
            (1, "circuit_breaker", "", nil),
            (2, "failures", "circuit_breaker.failures", "\(self.breakerFailures)"),
            (2, "open_for", "circuit_breaker.open_for", DurationText.format(self.breakerOpenFor)),
            (1, "mode", "mode", self.mode.rawValue),
        ] + self.heartbeatFields
        return fields.map { field in
            let text = String(repeating: "  ", count: field.indent) + field.key + ":" + (field.value.map { " \($0)" } ?? "")
            guard let reason = self.reasons[field.path] else { return text }
            return text.padding(toLength: max(text.count, 26), withPad: " ", startingAt: 0) + "  # " + reason
        }
    }

    /// The heartbeat lines of the `retry:` section: only in pipelined mode, the only mode that uses them.
    private var heartbeatFields: [(indent: Int, key: String, path: String, value: String?)] {
        guard self.mode == .pipelined else { return [] }
        guard let heartbeat = self.heartbeat else {
            return [(1, "heartbeat_interval", "heartbeat_interval", "off")]
        }
        return [
            (1, "heartbeat_interval", "heartbeat_interval", DurationText.format(heartbeat.interval)),
            (1, "heartbeat_timeout", "heartbeat_timeout", DurationText.format(heartbeat.timeout)),
        ]
    }

    // MARK: Arithmetic

    /// How long a request to a dead shard takes to fail under `policy`, with each backoff at its
    /// mean under the policy's jitter. Follows the engine: an attempt ends at the deadline, and a
    /// retry whose backoff reaches the deadline is not made.
    static func failTime(on policy: RetryPolicy) -> Duration {
        var backoff = policy.backoff
        let meanShare: Double
        switch backoff.jitter {
        case .none: meanShare = 1
        case .full, .decorrelated: meanShare = 0.5
        case .equal: meanShare = 0.75
        }
        backoff.jitter = .none
        return Self.timeNeeded(attempts: policy.attempts, timeout: policy.attemptTimeout, backoff: backoff, deadline: policy.deadline, backoffShare: meanShare)
    }

    /// The time `attempts` attempts that all time out take, with backoffs at `backoffShare` of their base.
    static func timeNeeded(
        attempts: Int,
        timeout: Duration,
        backoff: Backoff,
        deadline: Duration? = nil,
        backoffShare: Double = 1
    ) -> Duration {
        var rng = SystemRandomNumberGenerator()
        var elapsed = Duration.zero
        for attempt in 1...max(1, attempts) {
            elapsed += timeout
            if let deadline, elapsed >= deadline { return deadline }
            guard attempt < attempts else { break }
            let wait = backoff.delay(beforeRetry: attempt, previous: nil, using: &rng) * backoffShare
            if let deadline, elapsed + wait >= deadline { break }
            elapsed += wait
        }
        return elapsed
    }

    static func milliseconds(_ duration: Duration) -> Double {
        duration / .milliseconds(1)
    }

    /// `value` milliseconds rounded up to a whole millisecond with at most two significant digits: 38ms, 1300ms.
    static func niceMilliseconds(_ value: Double) -> Duration {
        var whole = max(1, Int(value.rounded(.up)))
        var scale = 1
        while whole >= 100 {
            whole = (whole + 9) / 10
            scale *= 10
        }
        return .milliseconds(whole * scale)
    }

    static func format(_ value: Double) -> String {
        SimulationTable.number(value)
    }

    /// Milliseconds with three significant digits at most: 88.9, 5.79, 0.412.
    static func milliseconds(text value: Double) -> String {
        let places = value >= 100 ? 0 : value >= 10 ? 1 : value >= 1 ? 2 : 3
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return Self.format((value * scale).rounded() / scale)
    }

    static func percent(_ share: Double) -> String {
        share == 0 ? "0%" : String(format: share < 0.001 ? "%.3f%%" : "%.2f%%", share * 100)
    }
}
