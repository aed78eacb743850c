import Corsair
import ShardMap

/// Everything one simulated run needs: the shards, the clients and their work, the faults, the
/// retry policy and the seed.
///
/// ```swift
/// let map = try ShardMap(contentsOf: "Configs/cluster.yaml")
/// let scenario = try SimulationScenario(
///     map: map,
///     workload: .open(clients: 1000, ratePerClient: 10, duration: .seconds(60)),
///     faults: [Fault(parsing: "s1:down@10s+20s", shardIDs: map.shards.map(\.id))],
///     policy: RetryPolicy(map.config.retry),
///     seed: 1
/// )
/// let report = Simulator(scenario).run()
/// ```
public struct SimulationScenario: Sendable {
    /// Who sends requests, and when.
    public enum Workload: Hashable, Sendable {
        /// `clients` independent clients (each with its own engine, so its own retry budget and
        /// circuit breaker per shard), each sending `ratePerClient` requests per second as a
        /// Poisson stream for `duration`. Keys are uniform over the key space, so a shard gets
        /// requests in proportion to the slots it owns.
        case open(clients: Int, ratePerClient: Double, duration: Duration)
        /// One client that works like `corsair load`: `concurrency` requests in flight, each
        /// sent as soon as the one before it ends, `requests` in all; request `i` goes to key
        /// `key-(i mod keys)`, routed by the map.
        case closed(concurrency: Int, requests: Int, keys: Int)
    }

    /// The most clients a scenario may have: client numbers are kept in 32 bits.
    public static let maximumClients = 100_000_000
    /// The most requests in flight a closed workload may have.
    public static let maximumConcurrency = 1_000_000

    /// The shards' ids, in map order.
    public var shardIDs: [String]
    /// Each shard's share of uniformly spread keys, in map order; sums to 1.
    public var shardWeights: [Double]
    /// Each shard's reply times, in map order.
    public var latency: [LatencyProfile]
    /// For a closed workload: the shard index of `key-i` for each `i` below `keys`.
    public var keyShards: [Int]
    /// Who sends requests, and when.
    public var workload: Workload
    /// What goes wrong, and when.
    public var faults: [Fault]
    /// The retry policy every client uses.
    public var policy: RetryPolicy
    /// The seed of every random choice: the same seed and scenario give the same report.
    public var seed: UInt64

    /// A scenario against `map`'s shards.
    ///
    /// - Parameters:
    ///   - map: The shard map: its shards, their slot shares, and its routing for closed workloads.
    ///   - workload: Who sends requests, and when.
    ///   - latency: Reply-time profiles by shard id; shards left out get ``LatencyProfile/default``.
    ///   - faults: What goes wrong, and when.
    ///   - policy: The retry policy every client uses.
    ///   - seed: The seed of every random choice.
    /// - Throws: ``SimulationInputError`` when the workload's numbers are out of range.
    public init(
        map: ShardMap,
        workload: Workload,
        latency: [String: LatencyProfile] = [:],
        faults: [Fault] = [],
        policy: RetryPolicy,
        seed: UInt64
    ) throws(SimulationInputError) {
        switch workload {
        case .open(let clients, let rate, let duration):
            guard clients >= 1 else { throw .workload("--clients \(clients)", "must be at least 1") }
            guard clients <= Self.maximumClients else { throw .workload("--clients \(clients)", "must be at most \(Self.maximumClients)") }
            guard rate.isFinite, rate > 0 else { throw .workload("--rate \(rate)", "must be a positive number of requests per second per client") }
            guard duration > .zero else { throw .workload("--duration \(duration)", "must be positive") }
            self.keyShards = []
        case .closed(let concurrency, let requests, let keys):
            guard concurrency >= 1 else { throw .workload("--concurrency \(concurrency)", "must be at least 1") }
            guard concurrency <= Self.maximumConcurrency else {
                throw .workload("--concurrency \(concurrency)", "must be at most \(Self.maximumConcurrency)")
            }
            guard requests >= 1 else { throw .workload("--requests \(requests)", "must be at least 1") }
            guard keys >= 1 else { throw .workload("--keys \(keys)", "must be at least 1") }
            self.keyShards = (0..<keys).map { map.shardIndex(forKey: "key-\($0)") }
        }
        self.shardIDs = map.shards.map(\.id)
        let owned: [Double] = map.slotCount == nil
            ? Array(repeating: 1, count: map.shards.count)
            : map.shards.indices.map { Double(map.ownedRanges(ofShard: $0).reduce(0) { $0 + $1.count }) }
        let total = owned.reduce(0, +)
        self.shardWeights = owned.map { total > 0 ? $0 / total : 1 / Double(owned.count) }
        self.latency = self.shardIDs.map { latency[$0] ?? .default }
        self.workload = workload
        self.faults = faults
        self.policy = policy
        self.seed = seed
    }
}
