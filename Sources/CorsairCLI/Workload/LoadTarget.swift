import Corsair
import ShardMap

/// What `corsair load` drives: a cluster through its shard map, or one server by endpoint.
enum LoadTarget: Sendable {
    /// Keyed requests through the map's owners.
    case cluster(ShardedClient)
    /// Every request to one server, the "shard" of the report being that endpoint.
    case endpoint(ClientEngine, Endpoint)

    /// One line of the report per shard: its id, its endpoint and whether it is reached with CURVE.
    var shards: [(id: String, endpoint: String, usesCurve: Bool)] {
        switch self {
        case .cluster(let client):
            return client.store.current.shards.map { ($0.id, $0.endpoint, $0.serverPublicKey != nil) }
        case .endpoint(_, let endpoint):
            return [(endpoint.address, endpoint.address, endpoint.serverPublicKey != nil)]
        }
    }

    /// The index in ``shards`` of the shard that owns `key`.
    func shardIndex(forKey key: String) -> Int {
        switch self {
        case .cluster(let client):
            let map = client.store.current
            let id = map.shard(forKey: key).id
            return map.shards.firstIndex { $0.id == id } ?? 0
        case .endpoint:
            return 0
        }
    }

    /// The engine's executor, where the load's tasks run so that a request costs no thread hop.
    var executor: EngineExecutor {
        switch self {
        case .cluster(let client): return client.executor
        case .endpoint(let engine, _): return engine.executor
        }
    }

    /// Sends one request.
    func send(key: String, body: [[UInt8]], options: RequestOptions) async throws(CorsairError) -> Reply {
        switch self {
        case .cluster(let client):
            return try await client.request(key: key, body: body, options: options)
        case .endpoint(let engine, let endpoint):
            return try await engine.request(body, to: endpoint, options: options)
        }
    }

    func shutdown() async {
        switch self {
        case .cluster(let client): await client.shutdown()
        case .endpoint(let engine, _): await engine.shutdown()
        }
    }
}
