import Corsair
import Histogram

/// What a run counts as it goes: requests, attempts, endings, latencies, and the requests around
/// each fault.
struct SimulationStatistics {
    /// Requests and the attempts they sent, for one group of requests.
    struct Amplification {
        var requests = 0
        var attempts = 0

        /// Attempts per request; `nil` without requests.
        var ratio: Double? { self.requests > 0 ? Double(self.attempts) / Double(self.requests) : nil }
    }

    /// Requests to a faulted shard after its fault ended, in 100 ms bins by when they were sent.
    struct Recovery {
        static let binWidth: Int64 = 100_000_000
        let shard: Int
        let end: Int64
        /// When the next fault on the same shard starts: requests from then on belong to it.
        let limit: Int64
        var sent: [Int] = []
        var succeeded: [Int] = []

        mutating func record(sentAt time: Int64, succeeded ok: Bool) {
            guard time >= self.end, time < self.limit else { return }
            let bin = Int((time - self.end) / Self.binWidth)
            if bin >= self.sent.count {
                self.sent.append(contentsOf: repeatElement(0, count: bin - self.sent.count + 1))
                self.succeeded.append(contentsOf: repeatElement(0, count: bin - self.succeeded.count + 1))
            }
            self.sent[bin] += 1
            if ok { self.succeeded[bin] += 1 }
        }

        /// Seconds from the fault's end to the end of the last bin where under 99 % of requests succeeded.
        var seconds: Double {
            var last = -1
            for bin in self.sent.indices where self.sent[bin] > 0 && Double(self.succeeded[bin]) < 0.99 * Double(self.sent[bin]) {
                last = bin
            }
            return Double(last + 1) * Double(Self.binWidth) / 1e9
        }
    }

    var requests = 0
    var succeeded = 0
    /// Successful requests by the attempt that got the reply: index 1 for the first attempt.
    var succeededByAttempt: [Int] = [0]
    var attempts = 0
    /// Attempts after a request's first, as `corsair load` counts retries.
    var retries = 0
    /// Failed requests by the engine's error code.
    var failures: [CorsairError.Code: Int] = [:]
    /// Requests to a shard under a fault when they were sent.
    var faulted = Amplification()
    /// Requests to a healthy shard while some other shard was under a fault.
    var healthyDuringFault = Amplification()
    /// Successful requests, microseconds.
    var latency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    /// Failed requests sent to a down shard, microseconds from sending to failing.
    var failTime = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    var recoveries: [Recovery?]
    var events = 0
    /// Pipelined connections closed because a request's attempt deadline found them silent.
    var connectionsRebuilt = 0
    /// Attempts in flight on those connections when they were closed, each of which failed.
    var rebuildFailedAttempts = 0

    init(faults: [Fault]) {
        self.recoveries = faults.map { fault in
            guard fault.length != nil else { return nil }
            let end = fault.endNanoseconds
            let next = faults.filter { $0.shard == fault.shard && $0.startNanoseconds >= end }.map(\.startNanoseconds).min() ?? .max
            return Recovery(shard: fault.shard, end: end, limit: next)
        }
    }

    mutating func admitted(_ call: SimulatedCall) {
        self.requests += 1
        if call.shardFaulted {
            self.faulted.requests += 1
        } else if call.anyFault {
            self.healthyDuringFault.requests += 1
        }
    }

    mutating func attemptSent(_ call: SimulatedCall) {
        self.attempts += 1
        if call.attempt > 1 {
            self.retries += 1
        }
        if call.shardFaulted {
            self.faulted.attempts += 1
        } else if call.anyFault {
            self.healthyDuringFault.attempts += 1
        }
    }

    /// Counts the call's end: `failure` is the engine's error code, `nil` for a reply.
    mutating func finished(_ call: SimulatedCall, failure: CorsairError.Code?, at time: Int64) {
        let elapsed = UInt64(max(0, time - call.submittedAt) / 1000)
        let ok = failure == nil
        if ok {
            self.succeeded += 1
            let attempt = Int(call.attempt)
            if attempt >= self.succeededByAttempt.count {
                self.succeededByAttempt.append(contentsOf: repeatElement(0, count: attempt - self.succeededByAttempt.count + 1))
            }
            self.succeededByAttempt[attempt] += 1
            _ = self.latency.record(min(elapsed, self.latency.highestTrackableValue))
        } else if let failure {
            self.failures[failure, default: 0] += 1
            if call.shardDown {
                _ = self.failTime.record(min(elapsed, self.failTime.highestTrackableValue))
            }
        }
        for index in self.recoveries.indices where self.recoveries[index]?.shard == Int(call.shard) {
            self.recoveries[index]?.record(sentAt: call.submittedAt, succeeded: ok)
        }
    }
}
