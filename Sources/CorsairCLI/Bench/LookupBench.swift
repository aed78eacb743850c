import ShardMap

/// Shard lookup cost: nanoseconds per key over pre-generated random keys, for slot and jump maps.
enum LookupBench {
    struct Result: Sendable, Codable {
        var slotsNanosecondsPerKey: Double
        var jumpNanosecondsPerKey: Double

        enum CodingKeys: String, CodingKey {
            case slotsNanosecondsPerKey = "slots_ns_per_key"
            case jumpNanosecondsPerKey = "jump_ns_per_key"
        }
    }

    static func run(keys count: Int) throws -> Result {
        var random = SystemRandomNumberGenerator()
        // Keys like an application's: a prefix and a random id, 10 to 20 bytes.
        let keys = (0..<count).map { _ in "user:\(random.next() % 100_000_000_000)" }
        let shards = (0..<3).map { ShardInfo(id: "s\($0)", endpoint: "tcp://127.0.0.1:\(7000 + $0)") }
        let slotShards = [
            ShardInfo(id: "s0", endpoint: "tcp://127.0.0.1:7000", slots: [0...5460]),
            ShardInfo(id: "s1", endpoint: "tcp://127.0.0.1:7001", slots: [5461...10922]),
            ShardInfo(id: "s2", endpoint: "tcp://127.0.0.1:7002", slots: [10923...16383]),
        ]
        let slots = try ShardMap(ClusterConfig(cluster: "bench", epoch: 1, routing: .slots(), shards: slotShards))
        let jump = try ShardMap(ClusterConfig(cluster: "bench", epoch: 1, routing: .jump(), shards: shards))
        // Once untimed each, to fault in the keys and the tables.
        _ = self.lookUp(keys, in: slots)
        _ = self.lookUp(keys, in: jump)
        return Result(
            slotsNanosecondsPerKey: self.timed(keys, in: slots),
            jumpNanosecondsPerKey: self.timed(keys, in: jump)
        )
    }

    /// The best of three passes, per key.
    private static func timed(_ keys: [String], in map: ShardMap) -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            let start = ContinuousClock.now
            let checksum = self.lookUp(keys, in: map)
            let elapsed = Double(Statistics.nanoseconds(start.duration(to: .now)))
            // Using the result keeps the optimiser from dropping the lookups.
            blackHole(checksum)
            best = min(best, elapsed / Double(max(keys.count, 1)))
        }
        return best
    }

    @inline(never)
    private static func lookUp(_ keys: [String], in map: ShardMap) -> Int {
        var checksum = 0
        for key in keys {
            checksum &+= map.shardIndex(forKey: key)
        }
        return checksum
    }

    /// Consumes a value where the optimiser cannot see that it goes unused.
    @inline(never)
    private static func blackHole(_ value: Int) {
        if value == Int.min { print("") }
    }
}
