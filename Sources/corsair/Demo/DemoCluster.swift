import Corsair
import Logging
import ShardMap

/// The demo's cluster in this process: one ``DemoShard`` per shard of the map, on loopback ports
/// chosen by the system, and a ``ShardMapStore`` whose map lists those ports.
struct DemoCluster: Sendable {
    let shards: [DemoShard]
    let store: ShardMapStore

    /// Binds a server per shard of `config` on `tcp://127.0.0.1:*` and publishes the bound ports.
    ///
    /// The servers check ownership against the store, which first holds `config` as given; once
    /// every port is known the store moves to a map with the real endpoints under the next epoch,
    /// as an operator's edit of the file would.
    static func start(config: ClusterConfig, plan: DemoPlan, requestLog: Bool, logger: Logger) throws -> DemoCluster {
        let store = ShardMapStore(map: try ShardMap(config), logger: logger)
        var shards: [DemoShard] = []
        for (index, info) in config.shards.enumerated() {
            var configuration = CorsairServer.Configuration(endpoints: ["tcp://127.0.0.1:*"], settings: config.server)
            configuration.ownership = ShardMapOwnership(store: store, shardID: info.id)
            configuration.logger = logger
            if plan.burstShards.contains(index) {
                configuration.maxInFlight = plan.burstShardMaxInFlight
            }
            shards.append(try DemoShard(id: info.id, configuration: configuration, requestLog: requestLog))
        }
        var bound = config
        bound.epoch += 1
        bound.shards = zip(config.shards, shards).map { info, shard in
            ShardInfo(id: info.id, endpoint: shard.endpoint, slots: info.slots)
        }
        try store.update(to: ShardMap(bound))
        return DemoCluster(shards: shards, store: store)
    }

    /// Waits until no handler runs on any shard (a paused handler may outlive its client's
    /// patience), at most `timeout`.
    func quiesce(timeout: Duration) async {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if self.shards.allSatisfy({ $0.statistics.inFlight == 0 }) { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    func stop() async {
        for shard in self.shards {
            await shard.stop()
        }
    }
}
