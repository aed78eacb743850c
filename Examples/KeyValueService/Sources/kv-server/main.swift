import Corsair
import Foundation
import Logging
import ServiceLifecycle
import ShardMap

// kv-server CONFIG SHARD-ID: serves one shard of the map in CONFIG until SIGTERM or SIGINT.
let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 2, let path = arguments.first, let shardID = arguments.last else {
    FileHandle.standardError.write(Data("usage: kv-server CONFIG SHARD-ID\n".utf8))
    exit(64)
}
let logger = Logger(label: "kv-server")
do {
    let store = try ShardMapStore(contentsOf: path, logger: logger)
    let map = store.current
    guard let shard = map.shard(id: shardID) else {
        throw HandlerError("no shard '\(shardID)' in \(path)")
    }
    // The shard's endpoint and the file's server: settings; requests for other shards are
    // answered "wrong shard".
    var configuration = CorsairServer.Configuration(endpoints: [shard.endpoint], settings: map.config.server)
    configuration.ownership = ShardMapOwnership(store: store, shardID: shard.id)
    let server = try CorsairServer(configuration: configuration, handler: KeyValueStore())
    // Unbuffered, so a script waiting for this line sees it at once.
    FileHandle.standardOutput.write(Data("listening \(server.boundEndpoints.joined(separator: " "))\n".utf8))
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: [
                // One line per service; on SIGTERM the last listed stops first.
                .init(service: server),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
    )
    try await group.run()   // SIGTERM: stop reading, finish requests in flight, reply, return
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
