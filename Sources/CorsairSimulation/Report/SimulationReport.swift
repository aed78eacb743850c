import Corsair
import Foundation
import Histogram
import UnitText

/// What a simulated run's clients saw: successes, latency, retry amplification, how fast requests
/// to a dead shard fail, and how long the cluster takes to come back after a fault.
public struct SimulationReport: Sendable, Encodable {
    /// One fault's recovery.
    public struct FaultRecovery: Sendable, Encodable, Hashable {
        /// The fault as written.
        public var fault: String
        /// Seconds from the fault's end until its shard's requests succeed again (under 1 % failing
        /// in every later 100 ms); `nil` for a fault that lasts to the end of the run.
        public var recoverySeconds: Double?

        enum CodingKeys: String, CodingKey {
            case fault
            case recoverySeconds = "recovery_s"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.fault, forKey: .fault)
            try container.encode(self.recoverySeconds, forKey: .recoverySeconds)
        }
    }

    /// Requests sent.
    public var requests: Int
    /// Requests that got their reply.
    public var succeeded: Int
    /// Successful requests by the attempt that got the reply, keyed "1", "2", …
    public var succeededByAttempt: [String: Int]
    /// Requests that failed, by error kind as `corsair load` names them (`abandoned`, `circuit_open`…).
    public var errors: [String: Int]
    /// Attempts sent, first attempts included.
    public var attempts: Int
    /// Attempts after a request's first, as `corsair load` counts them.
    public var retries: Int
    /// Succeeded ÷ requests.
    public var successRate: Double
    /// Attempts ÷ requests, over the whole run.
    public var amplification: Double
    /// Attempts ÷ requests for requests sent to a shard while it was under a fault; `nil` without faults.
    public var faultedAmplification: Double?
    /// Attempts ÷ requests for requests sent to the other shards while a fault was in force; `nil` without faults.
    public var healthyAmplification: Double?
    /// The median latency of successful requests, milliseconds.
    public var p50Milliseconds: Double
    /// The 99th percentile latency of successful requests, milliseconds.
    public var p99Milliseconds: Double
    /// The 99.9th percentile latency of successful requests, milliseconds.
    public var p999Milliseconds: Double
    /// How long a request sent to a down shard takes to fail: the median, milliseconds; `nil`
    /// when no such request failed.
    public var failFastMilliseconds: Double?
    /// The 99th percentile of the same.
    public var failP99Milliseconds: Double?
    /// The slowest recovery of any fault, seconds; `nil` without a fault that ends.
    public var recoverySeconds: Double?
    /// Each fault's recovery.
    public var faults: [FaultRecovery]
    /// Virtual time simulated, seconds: until the last request ended.
    public var virtualSeconds: Double
    /// Wall-clock time the run took, seconds. The only figure that differs between runs of one seed.
    public var wallSeconds: Double
    /// Events processed.
    public var events: Int
    /// The retry mode simulated: `recreate`, `resend` or `pipelined`, as the `retry:` section writes it.
    public var mode: String
    /// Pipelined connections closed and reopened because a request's attempt deadline found them
    /// silent for a whole attempt timeout, as the engine's `corsair_client_connections_rebuilt_total`
    /// counts them; 0 in the other modes.
    public var connectionsRebuilt: Int
    /// Attempts that were in flight on those connections when they were closed: each failed with
    /// its connection (the one whose deadline found it silent included); 0 in the other modes.
    public var rebuildFailedAttempts: Int
    /// The seed.
    public var seed: UInt64

    enum CodingKeys: String, CodingKey {
        case requests, succeeded, errors, attempts, retries, seed, events, faults
        case successRate = "success_rate"
        case succeededByAttempt = "succeeded_by_attempt"
        case amplification
        case faultedAmplification = "amplification_faulted"
        case healthyAmplification = "amplification_healthy"
        case p50Milliseconds = "p50_ms"
        case p99Milliseconds = "p99_ms"
        case p999Milliseconds = "p999_ms"
        case failFastMilliseconds = "fail_fast_ms"
        case failP99Milliseconds = "fail_p99_ms"
        case recoverySeconds = "recovery_s"
        case virtualSeconds = "virtual_s"
        case wallSeconds = "wall_s"
        case mode
        case connectionsRebuilt = "connections_rebuilt"
        case rebuildFailedAttempts = "rebuild_failed_attempts"
    }

    init(_ statistics: SimulationStatistics, scenario: SimulationScenario, virtualEnd: Int64, wall: Duration) {
        self.requests = statistics.requests
        self.succeeded = statistics.succeeded
        var byAttempt: [String: Int] = [:]
        for (attempt, count) in statistics.succeededByAttempt.enumerated() where count > 0 {
            byAttempt["\(attempt)"] = count
        }
        self.succeededByAttempt = byAttempt
        var errors: [String: Int] = [:]
        for (code, count) in statistics.failures {
            errors[Self.kind(code)] = count
        }
        self.errors = errors
        self.attempts = statistics.attempts
        self.retries = statistics.retries
        self.successRate = Self.rounded(statistics.requests > 0 ? Double(statistics.succeeded) / Double(statistics.requests) : 0, places: 6)
        self.amplification = Self.rounded(statistics.requests > 0 ? Double(statistics.attempts) / Double(statistics.requests) : 0, places: 4)
        let hasFaults = !scenario.faults.isEmpty
        self.faultedAmplification = hasFaults ? statistics.faulted.ratio.map { Self.rounded($0, places: 4) } : nil
        self.healthyAmplification = hasFaults ? statistics.healthyDuringFault.ratio.map { Self.rounded($0, places: 4) } : nil
        self.p50Milliseconds = Self.milliseconds(statistics.latency, 50) ?? 0
        self.p99Milliseconds = Self.milliseconds(statistics.latency, 99) ?? 0
        self.p999Milliseconds = Self.milliseconds(statistics.latency, 99.9) ?? 0
        self.failFastMilliseconds = Self.milliseconds(statistics.failTime, 50)
        self.failP99Milliseconds = Self.milliseconds(statistics.failTime, 99)
        self.faults = zip(scenario.faults, statistics.recoveries).map { fault, recovery in
            FaultRecovery(fault: fault.spec, recoverySeconds: recovery.map { Self.rounded($0.seconds, places: 3) })
        }
        self.recoverySeconds = self.faults.compactMap(\.recoverySeconds).max()
        self.virtualSeconds = Self.rounded(Double(virtualEnd) / 1e9, places: 3)
        self.wallSeconds = Self.rounded(Double(wall.nanosecondsClamped) / 1e9, places: 3)
        self.events = statistics.events
        self.seed = scenario.seed
        self.mode = Self.modeName(scenario.policy.mode)
        self.connectionsRebuilt = statistics.connectionsRebuilt
        self.rebuildFailedAttempts = statistics.rebuildFailedAttempts
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.requests, forKey: .requests)
        try container.encode(self.succeeded, forKey: .succeeded)
        try container.encode(self.succeededByAttempt, forKey: .succeededByAttempt)
        try container.encode(self.errors, forKey: .errors)
        try container.encode(self.attempts, forKey: .attempts)
        try container.encode(self.retries, forKey: .retries)
        try container.encode(self.successRate, forKey: .successRate)
        try container.encode(self.amplification, forKey: .amplification)
        // Absent figures are null rather than missing, so every key is always there for scripts.
        try container.encode(self.faultedAmplification, forKey: .faultedAmplification)
        try container.encode(self.healthyAmplification, forKey: .healthyAmplification)
        try container.encode(self.p50Milliseconds, forKey: .p50Milliseconds)
        try container.encode(self.p99Milliseconds, forKey: .p99Milliseconds)
        try container.encode(self.p999Milliseconds, forKey: .p999Milliseconds)
        try container.encode(self.failFastMilliseconds, forKey: .failFastMilliseconds)
        try container.encode(self.failP99Milliseconds, forKey: .failP99Milliseconds)
        try container.encode(self.recoverySeconds, forKey: .recoverySeconds)
        try container.encode(self.faults, forKey: .faults)
        try container.encode(self.virtualSeconds, forKey: .virtualSeconds)
        try container.encode(self.wallSeconds, forKey: .wallSeconds)
        try container.encode(self.events, forKey: .events)
        try container.encode(self.seed, forKey: .seed)
        try container.encode(self.mode, forKey: .mode)
        try container.encode(self.connectionsRebuilt, forKey: .connectionsRebuilt)
        try container.encode(self.rebuildFailedAttempts, forKey: .rebuildFailedAttempts)
    }

    /// An error's name as `corsair load` names it: the error code's words joined by `_`.
    static func kind(_ code: CorsairError.Code) -> String {
        String(code.description.map { $0 == " " ? "_" : $0 })
    }

    static func modeName(_ mode: RetryPolicy.Mode) -> String {
        switch mode {
        case .recreate: "recreate"
        case .resend: "resend"
        case .pipelined: "pipelined"
        }
    }

    private static func milliseconds(_ histogram: Histogram<UInt64>, _ percentile: Double) -> Double? {
        guard histogram.totalCount > 0 else { return nil }
        return Self.rounded(Double(histogram.valueAtPercentile(percentile)) / 1000, places: 3)
    }

    private static func rounded(_ value: Double, places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (value * scale).rounded() / scale
    }
}

extension SimulationReport {
    /// One line of JSON with sorted keys.
    public var json: String {
        Self.json(self)
    }

    /// `value` as one line of JSON with sorted keys; `{}` if it cannot be encoded.
    public static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
