import Corsair
import Logging
import ShardMap
import Testing

@Suite("ShardMapOwnership")
struct ShardMapOwnershipTests {
    private static func map(epoch: UInt64, s1Endpoint: String = "tcp://127.0.0.1:7002", withS2: Bool = true) throws -> ShardMap {
        var shards = [
            ShardInfo(id: "s0", endpoint: "tcp://127.0.0.1:7001", slots: [0...99]),
            ShardInfo(id: "s1", endpoint: s1Endpoint, slots: [100...199]),
        ]
        if withS2 {
            shards.append(ShardInfo(id: "s2", endpoint: "tcp://127.0.0.1:7003", slots: [200...299]))
        } else {
            shards[1].slots = [100...299]
        }
        return try ShardMap(ClusterConfig(cluster: "test", epoch: epoch, routing: .slots(count: 300), shards: shards))
    }

    private static func store(_ map: ShardMap) -> ShardMapStore {
        ShardMapStore(map: map, logger: Logger(label: "test"))
    }

    @Test("owns its own shard and reports the map's epoch")
    func ownsItsShard() throws {
        let ownership = ShardMapOwnership(store: Self.store(try Self.map(epoch: 4)), shardID: "s1")
        #expect(ownership.epoch == 4)
        #expect(ownership.decide(shardID: "s1", clientEpoch: 4) == .owned)
        // A client on an older map still reaches the right shard: ownership is by id, not epoch.
        #expect(ownership.decide(shardID: "s1", clientEpoch: 1) == .owned)
    }

    @Test("turns other shards away with their owner and the current epoch")
    func turnsOthersAway() throws {
        let ownership = ShardMapOwnership(store: Self.store(try Self.map(epoch: 4)), shardID: "s1")
        #expect(ownership.decide(shardID: "s0", clientEpoch: 4) == .notOwned(ownerEndpoint: "tcp://127.0.0.1:7001", epoch: 4))
        #expect(ownership.decide(shardID: "s2", clientEpoch: 3) == .notOwned(ownerEndpoint: "tcp://127.0.0.1:7003", epoch: 4))
        #expect(ownership.decide(shardID: "nope", clientEpoch: 4) == .notOwned(ownerEndpoint: nil, epoch: 4))
    }

    @Test("follows the store's reloads on the next decision")
    func followsReloads() throws {
        let store = Self.store(try Self.map(epoch: 1))
        let ownership = ShardMapOwnership(store: store, shardID: "s2")
        #expect(ownership.decide(shardID: "s2", clientEpoch: 1) == .owned)
        // Epoch 2 folds s2 into s1: s2's server no longer owns anything.
        try store.update(to: Self.map(epoch: 2, withS2: false))
        #expect(ownership.epoch == 2)
        #expect(ownership.decide(shardID: "s2", clientEpoch: 1) == .notOwned(ownerEndpoint: nil, epoch: 2))
        #expect(ownership.decide(shardID: "s1", clientEpoch: 1) == .notOwned(ownerEndpoint: "tcp://127.0.0.1:7002", epoch: 2))
    }

    @Test("with an endpoint, a shard moved elsewhere is no longer owned")
    func endpointPinned() throws {
        let store = Self.store(try Self.map(epoch: 1))
        let ownership = ShardMapOwnership(store: store, shardID: "s1", endpoint: "tcp://127.0.0.1:7002")
        #expect(ownership.decide(shardID: "s1", clientEpoch: 1) == .owned)
        try store.update(to: Self.map(epoch: 2, s1Endpoint: "tcp://10.0.0.9:7002"))
        #expect(ownership.decide(shardID: "s1", clientEpoch: 2) == .notOwned(ownerEndpoint: "tcp://10.0.0.9:7002", epoch: 2))
    }

    @Test("a server with it answers wrong shard, with the owner, for another shard's request")
    func serverAnswersWrongShard() async throws {
        let store = Self.store(try Self.map(epoch: 3))
        var configuration = CorsairServer.Configuration(endpoints: ["tcp://127.0.0.1:*"])
        configuration.ownership = ShardMapOwnership(store: store, shardID: "s1")
        let server = try CorsairServer(configuration: configuration, handler: EchoHandler())
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        let engine = try ClientEngine()
        let endpoint = Endpoint(try #require(server.boundEndpoints.first))
        var policy = RetryPolicy.default
        policy.attemptTimeout = .seconds(5)
        let owned = try await engine.request([Array("hi".utf8)], to: endpoint, options: RequestOptions(retry: policy, shardID: "s1", epoch: 3))
        #expect(owned.body == [Array("hi".utf8)])
        #expect(owned.serverEpoch == 3)
        let error = await #expect(throws: CorsairError.self) {
            try await engine.request([Array("hi".utf8)], to: endpoint, options: RequestOptions(retry: policy, shardID: "s0", epoch: 3))
        }
        #expect(error?.code == .wrongShard)
        #expect(error?.ownerEndpoint == "tcp://127.0.0.1:7001")
        #expect(error?.serverEpoch == 3)
        await engine.shutdown()
    }
}
