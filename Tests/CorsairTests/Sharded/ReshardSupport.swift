import Corsair
import Foundation
import Logging
import ShardMap
import Synchronization

/// A shard-map file in the temporary directory, rewritten by tests as an operator would.
struct MapFile {
    let path: String

    init() {
        self.path = "\(NSTemporaryDirectory())corsair-map-\(UUID().uuidString.prefix(12)).yaml"
    }

    /// Writes a slot map: each shard with its endpoint and slot ranges such as `"0-99"`.
    func writeSlots(epoch: UInt64, _ shards: [(id: String, endpoint: String, slots: [String])], retry: String = "") throws {
        var text = "cluster: reshard\nepoch: \(epoch)\nrouting: {strategy: slots, slots: 16384, hash: crc16, hash_tag: true}\nshards:\n"
        for shard in shards {
            let slots = shard.slots.map { "\"\($0)\"" }.joined(separator: ", ")
            text += "  - {id: \(shard.id), endpoint: \"\(shard.endpoint)\", slots: [\(slots)]}\n"
        }
        text += retry
        try text.write(toFile: self.path, atomically: true, encoding: .utf8)
    }

    /// Writes a jump map over `shards`.
    func writeJump(epoch: UInt64, _ shards: [(id: String, endpoint: String)]) throws {
        var text = "cluster: reshard\nepoch: \(epoch)\nrouting: {strategy: jump}\nshards:\n"
        for shard in shards {
            text += "  - {id: \(shard.id), endpoint: \"\(shard.endpoint)\"}\n"
        }
        try text.write(toFile: self.path, atomically: true, encoding: .utf8)
    }

    func store() throws -> ShardMapStore {
        try ShardMapStore(contentsOf: self.path, logger: Logger(label: "test"))
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}

/// Key-value servers for shards of a map, on ipc endpoints, each deciding ownership from `store`.
final class ShardServers: Sendable {
    let servers: [String: CorsairServer]
    let stores: [String: KeyValueHandler]
    private let tasks: [Task<Void, any Error>]

    init(_ endpoints: [(id: String, endpoint: String)], ownership: (String) -> any ShardOwnership) throws {
        var servers: [String: CorsairServer] = [:]
        var stores: [String: KeyValueHandler] = [:]
        var tasks: [Task<Void, any Error>] = []
        for (id, endpoint) in endpoints {
            let handler = KeyValueHandler()
            var configuration = serverConfiguration()
            configuration.endpoints = [endpoint]
            configuration.ownership = ownership(id)
            let server = try CorsairServer(configuration: configuration, handler: handler)
            servers[id] = server
            stores[id] = handler
            tasks.append(Task { try await server.run() })
        }
        self.servers = servers
        self.stores = stores
        self.tasks = tasks
    }

    func stop() async {
        for task in self.tasks {
            task.cancel()
            _ = try? await task.value
        }
    }
}

/// Collects a request's events.
final class EventLog: Sendable {
    private let events = Mutex<[RequestEvent]>([])

    var all: [RequestEvent] { self.events.withLock { $0 } }

    var redirects: Int {
        self.all.filter { if case .redirected = $0 { return true } else { return false } }.count
    }

    func record(_ event: RequestEvent) {
        self.events.withLock { $0.append(event) }
    }
}

/// Lines collected from concurrent tasks.
final class Lines: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { self.lines.withLock { $0 } }

    func append(_ line: String) {
        self.lines.withLock { $0.append(line) }
    }
}

/// The first key k-N that `map` places on `shardID` (and `other`, when given, on `otherShard`).
func key(on shardID: String, in map: ShardMap, andOn otherShard: String? = nil, in other: ShardMap? = nil) -> String {
    for number in 0..<100_000 {
        let key = "k-\(number)"
        guard map.shard(forKey: key).id == shardID else { continue }
        if let otherShard, let other, other.shard(forKey: key).id != otherShard { continue }
        return key
    }
    return "none"
}
