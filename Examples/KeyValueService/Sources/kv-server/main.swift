import Corsair
import Foundation
import Logging
import ServiceLifecycle
import ShardMap

// kv-server CONFIG SHARD-ID: serves one shard of the map in CONFIG until SIGTERM or SIGINT.

/// Writes one line on standard error and exits.
func exit(printing line: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("\(line)\n".utf8))
    exit(status)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 2 else {
    exit(printing: "usage: kv-server CONFIG SHARD-ID", status: 64)
}
let (path, shardID) = (arguments[0], arguments[1])
let logger = Logger(label: "kv-server")
do {
    let store = try ShardMapStore(contentsOf: path, logger: logger)
    let map = store.current
    guard let shard = map.shard(id: shardID) else {
        exit(printing: "error: no shard '\(shardID)' in \(path)", status: 1)
    }
    // The shard's endpoint and the file's server: settings; a request for a key another shard owns
    // is answered "moved", naming the owner.
    var configuration = CorsairServer.Configuration(endpoints: [shard.endpoint], settings: map.config.server)
    configuration.ownership = ShardMapOwnership(store: store, shardID: shard.id)
    let server = try CorsairServer(configuration: configuration, handler: KeyValueStore())
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: [
                // One line per service; on SIGTERM the last listed stops first.
                .init(service: server),
                // Follows the map file (and SIGHUP): a reshard written to it reaches this server.
                .init(service: ShardMapReloadService(store: store, logger: logger), successTerminationBehavior: .ignore),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
    )
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        // The server binds when the group runs it; a port in use ends the group with that error.
        tasks.addTask { try await group.run() }   // SIGTERM: stop reading, finish requests in flight, reply, return
        // Unbuffered, so a script waiting for this line sees it at once.
        let endpoints = try await server.boundEndpoints
        FileHandle.standardOutput.write(Data("listening \(endpoints.joined(separator: " "))\n".utf8))
        try await tasks.waitForAll()
    }
} catch {
    exit(printing: "error: \(error)", status: 1)
}
