import ShardMap

/// What the demo does and when: the workload's shape and the faults injected while it runs.
struct DemoPlan: Sendable {
    /// One fault, aimed at a shard by its position in the map.
    enum Fault: Sendable {
        /// The shard's handler stops answering for a while, longer than the attempt timeout.
        case pause(shard: Int, for: Duration)
        /// The shard's server is stopped without draining, then started again on its endpoint.
        case kill(shard: Int, downFor: Duration)
        /// `size` requests at once on the shard's keys, while its handler takes `handlerTime` each,
        /// more than its in-flight bound admits.
        case burst(shard: Int, size: Int, handlerTime: Duration)
        /// Half of the first slot range of shard `from` moves to shard `to` under the next epoch: the
        /// servers' file first, the clients' file `clientsAfter` later. Slot maps only.
        case reshard(from: Int, to: Int, clientsAfter: Duration)

        /// The shards the fault needs.
        var shards: [Int] {
            switch self {
            case .pause(let shard, _), .kill(let shard, _), .burst(let shard, _, _):
                return [shard]
            case .reshard(let from, let to, _):
                return [from, to]
            }
        }
    }

    /// How long the workload runs; requests in flight then are waited for.
    var duration: Duration
    /// Requests in flight at once, each worker sending its next as soon as one ends.
    var concurrency: Int
    /// Keys key-0 ... key-(keys-1), used in turn.
    var keys: Int
    /// How long a worker waits between one request's end and its next: a steady load a person can
    /// follow, rather than one that takes every core of the machine.
    var thinkTime: Duration
    /// The in-flight bound of the shard the burst hits.
    var burstShardMaxInFlight: Int
    /// The faults, by time since the workload started.
    var faults: [(at: Duration, fault: Fault)]

    /// About ten seconds: each fault once.
    static let quick = DemoPlan(
        duration: .milliseconds(7500),
        concurrency: 24,
        keys: 48,
        thinkTime: .milliseconds(10),
        burstShardMaxInFlight: 16,
        faults: [
            (.milliseconds(1000), .pause(shard: 0, for: .milliseconds(1200))),
            (.milliseconds(2800), .kill(shard: 1, downFor: .milliseconds(1000))),
            (.milliseconds(4800), .burst(shard: 2, size: 200, handlerTime: .milliseconds(10))),
            (.milliseconds(5400), .reshard(from: 0, to: 1, clientsAfter: .milliseconds(1000))),
        ]
    )

    /// About half a minute: each fault twice, longer outages, a bigger burst.
    static let full = DemoPlan(
        duration: .seconds(24),
        concurrency: 32,
        keys: 96,
        thinkTime: .milliseconds(10),
        burstShardMaxInFlight: 16,
        faults: [
            (.seconds(2), .pause(shard: 0, for: .milliseconds(2000))),
            (.seconds(6), .kill(shard: 1, downFor: .milliseconds(2000))),
            (.seconds(10), .burst(shard: 2, size: 400, handlerTime: .milliseconds(10))),
            (.seconds(13), .pause(shard: 2, for: .milliseconds(1500))),
            (.seconds(16), .kill(shard: 0, downFor: .milliseconds(1500))),
            (.milliseconds(18500), .reshard(from: 2, to: 0, clientsAfter: .milliseconds(1500))),
            (.seconds(20), .burst(shard: 1, size: 400, handlerTime: .milliseconds(10))),
        ]
    )

    /// The client settings the demo runs with: a short attempt timeout, so that faults bite within
    /// seconds, enough attempts and deadline to ride out every fault, and a budget and breaker
    /// loose enough for a burst of retries.
    static let retry = RetrySettings(
        attemptTimeout: .milliseconds(300),
        attempts: 10,
        deadline: .seconds(8),
        backoff: RetrySettings.Backoff(initial: .milliseconds(20), max: .milliseconds(200), multiplier: 2, jitter: .full),
        budget: RetrySettings.Budget(ratio: 1, minPerSecond: 500),
        circuitBreaker: RetrySettings.CircuitBreaker(failures: 100, openFor: .milliseconds(250)),
        mode: .recreate
    )

    /// The shard the burst faults hit, for sizing its in-flight bound.
    var burstShards: Set<Int> {
        Set(self.faults.compactMap { entry in
            if case .burst(let shard, _, _) = entry.fault { return shard }
            return nil
        })
    }

    /// Configs/demo.yaml's cluster, for when no --config is given: three shards, Redis Cluster slots.
    static let builtInConfig = ClusterConfig(
        cluster: "demo",
        epoch: 1,
        routing: .slots(count: 16384, hash: .crc16, hashTag: true),
        shards: [
            ShardInfo(id: "s0", endpoint: "tcp://127.0.0.1:5555", slots: [0...5460]),
            ShardInfo(id: "s1", endpoint: "tcp://127.0.0.1:5556", slots: [5461...10922]),
            ShardInfo(id: "s2", endpoint: "tcp://127.0.0.1:5557", slots: [10923...16383]),
        ]
    )
}
