import UnitText
import Foundation
import ShardMap

/// A shard-map file the demo writes, as an operator would: the servers' copy and the clients' copy
/// are separate files, so that a reshard can reach the servers first and the clients later.
///
/// Written as JSON (a config file may be YAML or JSON), atomically, so a reader never sees half a file.
struct DemoMapFile: Sendable {
    let path: String

    /// A file in a scratch directory of its own; `name` tells the copies apart.
    init(directory: String, name: String) {
        self.path = (directory as NSString).appendingPathComponent("\(name).json")
    }

    /// A fresh scratch directory for the demo's files.
    static func makeDirectory() throws -> String {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("corsair-demo-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes `config`: cluster, epoch, routing, shards and the retry section (the server section is
    /// not the map's, and the demo configures its servers in code).
    func write(_ config: ClusterConfig) throws {
        let data = try JSONSerialization.data(withJSONObject: Self.object(config), options: [.sortedKeys, .prettyPrinted])
        try data.write(to: URL(fileURLWithPath: self.path), options: .atomic)
    }

    private static func object(_ config: ClusterConfig) -> [String: Any] {
        var routing: [String: Any] = [
            "strategy": config.routing.strategy.rawValue,
            "hash": config.routing.hash.rawValue,
            "hash_tag": config.routing.hashTag,
        ]
        if let count = config.routing.slotCount {
            routing["slots"] = count
        }
        let shards: [[String: Any]] = config.shards.map { shard in
            var object: [String: Any] = ["id": shard.id, "endpoint": shard.endpoint]
            if !shard.slots.isEmpty {
                object["slots"] = shard.slots.map { "\($0.lowerBound)-\($0.upperBound)" }
            }
            if let key = shard.serverPublicKey {
                object["server_public_key"] = key
            }
            return object
        }
        return [
            "cluster": config.cluster,
            "epoch": config.epoch,
            "routing": routing,
            "shards": shards,
            "retry": Self.object(config.retry),
        ]
    }

    private static func object(_ retry: RetrySettings) -> [String: Any] {
        var object: [String: Any] = [:]
        object["attempt_timeout"] = retry.attemptTimeout.map(DurationText.format)
        object["attempts"] = retry.attempts
        object["deadline"] = retry.deadline.map(DurationText.format)
        object["mode"] = retry.mode?.rawValue
        var backoff: [String: Any] = [:]
        backoff["initial"] = retry.backoff.initial.map(DurationText.format)
        backoff["max"] = retry.backoff.max.map(DurationText.format)
        backoff["multiplier"] = retry.backoff.multiplier
        backoff["jitter"] = retry.backoff.jitter?.rawValue
        if !backoff.isEmpty { object["backoff"] = backoff }
        var budget: [String: Any] = [:]
        budget["ratio"] = retry.budget.ratio
        budget["min_per_second"] = retry.budget.minPerSecond
        if !budget.isEmpty { object["budget"] = budget }
        var breaker: [String: Any] = [:]
        breaker["failures"] = retry.circuitBreaker.failures
        breaker["open_for"] = retry.circuitBreaker.openFor.map(DurationText.format)
        if !breaker.isEmpty { object["circuit_breaker"] = breaker }
        return object
    }
}
