import ArgumentParser
import Corsair
import Logging
import ServiceLifecycle
import ShardMap
import UnitText
import UnixSignals

extension ServeCommand {
    /// `serve --config FILE --shard ID`: one shard of a cluster, following the file's reloads.
    func serveShard(_ shardID: String, of path: String, logger: Logger) async throws {
        let store: ShardMapStore
        do {
            store = try ShardMapStore(contentsOf: path, logger: Logger(label: "corsair.shards"))
        } catch {
            CommandLineOutput.error("\(error)")
            throw ExitCode.failure
        }
        let map = store.current
        guard let shard = map.shard(id: shardID) else {
            let known = map.shards.map(\.id).joined(separator: ", ")
            CommandLineOutput.error("shard '\(shardID)' is not in \(path) (its shards: \(known))")
            throw ExitCode.failure
        }
        var configuration = CorsairServer.Configuration(endpoints: [shard.endpoint], settings: map.config.server)
        if self.maxInFlight != 1024 {
            // Given on the command line: it wins over the file.
            configuration.maxInFlight = self.maxInFlight
        }
        if let size = self.maxMessageSize.flatMap({ ByteSizeText.parse($0) }) {
            configuration.maxMessageSize = Int64(size)
        }
        configuration.ownership = ShardMapOwnership(store: store, shardID: shardID)
        var serverLogger = Logger(label: "corsair.server")
        serverLogger[metadataKey: "shard"] = "\(shardID)"
        configuration.logger = serverLogger
        // The kv handler's writes are audited against the map and fenced (see AuditedKeyValueHandler).
        let audited = (self.handler ?? .kv) == .kv
            ? AuditedKeyValueHandler(store: KeyValueHandler(), audit: WriteAudit(shardID: shardID, map: store))
            : nil
        let server = try self.openServer(configuration, defaultHandler: .kv, handler: audited)
        let metrics = try await self.startMetrics(for: server, logger: logger)
        defer { if let metrics { Task { await metrics.stop() } } }
        logger.info(
            "serving shard",
            metadata: ["shard": "\(shardID)", "epoch": "\(map.epoch)", "cluster": "\(map.cluster)", "file": "\(path)"]
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: server),
                    // Listed last, so it stops first on shutdown; returning then is expected.
                    .init(service: ShardMapReloadService(store: store, logger: logger), successTerminationBehavior: .ignore),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await self.run(group, announcing: server)
        if self.statisticsOnExit {
            CommandLineOutput.line("statistics \(Self.json(server.statistics, extra: audited.map { ["misrouted_writes": $0.misrouted] } ?? [:]))")
        }
    }
}
