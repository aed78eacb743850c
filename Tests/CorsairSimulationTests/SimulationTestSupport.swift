import Corsair
import CorsairSimulation
import ShardMap

/// Maps and policies the simulator tests share.
enum SimulationFixture {
    /// A map whose shards split the 16384 slots evenly, named s0, s1, …
    static func map(shards: Int) throws -> ShardMap {
        var text = """
            cluster: simulated
            epoch: 1
            routing: {strategy: slots, slots: 16384, hash: crc16, hash_tag: true}
            shards:

            """
        let size = 16384 / shards
        for index in 0..<shards {
            let last = index == shards - 1 ? 16383 : (index + 1) * size - 1
            text += "  - {id: s\(index), endpoint: \"tcp://127.0.0.1:\(6000 + index)\", slots: [\"\(index * size)-\(last)\"]}\n"
        }
        return try ShardMap(parsing: text)
    }

    /// A policy with 100 ms attempts, a 10 s deadline, and no budget or breaker unless given.
    static func policy(
        attempts: Int = 3,
        budget: RetryBudget.Configuration? = nil,
        breaker: CircuitBreaker.Configuration? = nil,
        backoff: Backoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(40)),
        mode: RetryPolicy.Mode = .recreate
    ) -> RetryPolicy {
        RetryPolicy(
            attempts: attempts,
            attemptTimeout: .milliseconds(100),
            deadline: .seconds(10),
            backoff: backoff,
            budget: budget,
            circuitBreaker: breaker,
            mode: mode
        )
    }

    /// One shard whose replies are fast but for a tail over the 100 ms attempt timeout: linear
    /// between p99 (90 ms) and p99.9 (110 ms), so 0.55 % take 100 to 120 ms. Ten clients send
    /// 2,000 requests a second each for 10 s.
    static func slowTailRun(mode: RetryPolicy.Mode) throws -> SimulationReport {
        let profile = try LatencyProfile(minimum: .milliseconds(1), p50: .milliseconds(10), p99: .milliseconds(90), p999: .milliseconds(110), maximum: .milliseconds(120))
        return try Self.run(
            map: try Self.map(shards: 1),
            workload: .open(clients: 10, ratePerClient: 2000, duration: .seconds(10)),
            faults: [],
            policy: Self.policy(mode: mode),
            latency: ["s0": profile]
        )
    }

    static func run(
        map: ShardMap,
        workload: SimulationScenario.Workload,
        faults: [String],
        policy: RetryPolicy,
        latency: [String: LatencyProfile] = [:],
        seed: UInt64 = 1
    ) throws -> SimulationReport {
        let ids = map.shards.map(\.id)
        let scenario = try SimulationScenario(
            map: map,
            workload: workload,
            latency: latency,
            faults: try faults.map { try Fault(parsing: $0, shardIDs: ids) },
            policy: policy,
            seed: seed
        )
        return Simulator(scenario).run()
    }
}
