import Corsair
import Foundation
import Logging
import ShardMap

/// The demo's cluster in this process: one ``DemoShard`` per shard of the map, on loopback ports
/// chosen by the system, and the map in two files, as an operator keeps it: the servers' copy and
/// the clients' copy.
///
/// Every server's ownership reads one ``ShardMapStore`` over the servers' file, kept current by a
/// ``ShardMapReloadService``: a change to that file reaches every server at the same instant. The
/// client reads its own store over the clients' file, which it reloads when a reply tells it of a
/// newer epoch.
struct DemoCluster: Sendable {
    let shards: [DemoShard]
    /// The servers' map.
    let store: ShardMapStore
    /// The clients' map.
    let clientStore: ShardMapStore
    let serversFile: DemoMapFile
    let clientsFile: DemoMapFile
    private let watcher: Task<Void, Never>

    /// Binds a server per shard of `config` on `tcp://127.0.0.1:*` and publishes the bound ports.
    ///
    /// The servers check ownership against the store, which first holds `config` as given; once
    /// every port is known both files get a map with the real endpoints under the next epoch, as an
    /// operator's edit would.
    static func start(config: ClusterConfig, plan: DemoPlan, requestLog: Bool, logger: Logger) async throws -> DemoCluster {
        let directory = try DemoMapFile.makeDirectory()
        let serversFile = DemoMapFile(directory: directory, name: "servers")
        let clientsFile = DemoMapFile(directory: directory, name: "clients")
        let store = ShardMapStore(map: try ShardMap(config), path: serversFile.path, logger: logger)
        var shards: [DemoShard] = []
        for (index, info) in config.shards.enumerated() {
            var configuration = CorsairServer.Configuration(endpoints: ["tcp://127.0.0.1:*"], settings: config.server)
            configuration.ownership = ShardMapOwnership(store: store, shardID: info.id)
            configuration.logger = logger
            if plan.burstShards.contains(index) {
                configuration.maxInFlight = plan.burstShardMaxInFlight
            }
            shards.append(try await DemoShard(id: info.id, configuration: configuration, map: store, requestLog: requestLog))
        }
        var bound = config
        bound.epoch += 1
        bound.shards = zip(config.shards, shards).map { info, shard in
            ShardInfo(id: info.id, endpoint: shard.endpoint, slots: info.slots)
        }
        try serversFile.write(bound)
        try store.reload()
        try clientsFile.write(bound)
        let clientStore = try ShardMapStore(contentsOf: clientsFile.path, logger: logger)
        // SIGHUP is left alone: the demo is an ordinary foreground process.
        let reloader = ShardMapReloadService(store: store, interval: .milliseconds(50), reloadsOnHangup: false, logger: logger)
        let watcher = Task { _ = try? await reloader.run() }
        return DemoCluster(
            shards: shards,
            store: store,
            clientStore: clientStore,
            serversFile: serversFile,
            clientsFile: clientsFile,
            watcher: watcher
        )
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

    /// Writes taken by a shard whose servers' map, at that moment, gave the key to another shard.
    var misrouted: Int {
        self.shards.reduce(0) { $0 + $1.log.misrouted }
    }

    func stop() async {
        self.watcher.cancel()
        await self.watcher.value
        for shard in self.shards {
            await shard.stop()
        }
        try? FileManager.default.removeItem(atPath: (self.serversFile.path as NSString).deletingLastPathComponent)
    }
}
