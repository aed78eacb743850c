import Corsair
import Logging
import ShardMap
import Testing

/// The ownership decision, case by case, on slot maps and jump maps: what a server does with a
/// request is decided from the request's key under the server's own map, never from its label.
@Suite("ShardMapOwnership")
struct ShardMapOwnershipTests {
    /// Three shards over 300 slots: s0 0-99, s1 100-199, s2 200-299 (CRC-16, hash tags on).
    static let slots = Self.threeShards(epoch: 4, s1Endpoint: "tcp://127.0.0.1:7002")

    /// The same slots with s1 moved to another machine (epoch 5).
    static let slotsS1Moved = Self.threeShards(epoch: 5, s1Endpoint: "tcp://10.0.0.9:7002")

    static func threeShards(epoch: UInt64, s1Endpoint: String) -> ShardMap {
        let shards = [
            ShardInfo(id: "s0", endpoint: "tcp://127.0.0.1:7001", slots: [0...99]),
            ShardInfo(id: "s1", endpoint: s1Endpoint, slots: [100...199]),
            ShardInfo(id: "s2", endpoint: "tcp://127.0.0.1:7003", slots: [200...299]),
        ]
        return try! ShardMap(ClusterConfig(cluster: "test", epoch: epoch, routing: .slots(count: 300), shards: shards))
    }

    /// A jump map of `count` shards j0 ... j(count-1), epoch `count`.
    static func jump(_ count: Int) -> ShardMap {
        let shards = (0..<count).map { ShardInfo(id: "j\($0)", endpoint: "tcp://127.0.0.1:\(7100 + $0)") }
        return try! ShardMap(ClusterConfig(cluster: "jump", epoch: UInt64(count), routing: .jump(), shards: shards))
    }

    /// The first key k-N that `map` gives to `shardID` (and, when given, `other` gives to `otherShard`).
    static func key(ownedBy shardID: String, in map: ShardMap, andBy otherShard: String? = nil, in other: ShardMap? = nil) -> [UInt8] {
        for number in 0..<100_000 {
            let key = "k-\(number)"
            guard map.shard(forKey: key).id == shardID else { continue }
            if let otherShard, let other, other.shard(forKey: key).id != otherShard { continue }
            return Array(key.utf8)
        }
        Issue.record("no key found for \(shardID)")
        return []
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var map: ShardMap
        var me: String
        var endpoint: String?
        var query: OwnershipQuery
        var expected: ShardOwnershipDecision
        var testDescription: String { self.name }
    }

    static let cases: [Case] = {
        let slots = Self.slots
        let mine = Self.key(ownedBy: "s1", in: slots)
        let s0Key = Self.key(ownedBy: "s0", in: slots)
        let s2Key = Self.key(ownedBy: "s2", in: slots)
        let four = Self.jump(4)
        let five = Self.jump(5)
        // A key j1 owns under four shards that jump moves to the fifth, and one that stays.
        let movesToJ4 = Self.key(ownedBy: "j1", in: four, andBy: "j4", in: five)
        let staysOnJ1 = Self.key(ownedBy: "j1", in: four, andBy: "j1", in: five)
        return [
            Case(name: "slots: own key, same epoch", map: slots, me: "s1", query: .init(routingKey: mine, shardID: "s1", clientEpoch: 4), expected: .owned(epoch: 4)),
            Case(name: "slots: own key, older client map", map: slots, me: "s1", query: .init(routingKey: mine, clientEpoch: 1), expected: .owned(epoch: 4)),
            Case(name: "slots: own key, client without a map", map: slots, me: "s1", query: .init(routingKey: mine), expected: .owned(epoch: 4)),
            Case(
                name: "slots: another shard's key under a label naming this one",
                map: slots, me: "s1", query: .init(routingKey: s0Key, shardID: "s1", clientEpoch: 4),
                expected: .moved(shardID: "s0", endpoint: "tcp://127.0.0.1:7001", epoch: 4)
            ),
            Case(
                name: "slots: another shard's key from an older map",
                map: slots, me: "s1", query: .init(routingKey: s2Key, shardID: "s1", clientEpoch: 3),
                expected: .moved(shardID: "s2", endpoint: "tcp://127.0.0.1:7003", epoch: 4)
            ),
            Case(name: "slots: newer client map, own key", map: slots, me: "s1", query: .init(routingKey: mine, clientEpoch: 5), expected: .clientMapNewer(epoch: 4)),
            Case(name: "slots: newer client map, another's key", map: slots, me: "s1", query: .init(routingKey: s0Key, clientEpoch: 9), expected: .clientMapNewer(epoch: 4)),
            Case(name: "slots: newer client map, keyless", map: slots, me: "s1", query: .init(shardID: "s1", clientEpoch: 5), expected: .clientMapNewer(epoch: 4)),
            Case(
                name: "slots: hash tag routes by the tag",
                map: slots, me: "s1", query: .init(routingKey: Array("{\(String(decoding: mine, as: UTF8.self))}:other".utf8), clientEpoch: 4),
                expected: .owned(epoch: 4)
            ),
            Case(name: "slots: keyless, names this shard", map: slots, me: "s1", query: .init(shardID: "s1", clientEpoch: 4), expected: .owned(epoch: 4)),
            Case(
                name: "slots: keyless, names another shard",
                map: slots, me: "s1", query: .init(shardID: "s2", clientEpoch: 2),
                expected: .moved(shardID: "s2", endpoint: "tcp://127.0.0.1:7003", epoch: 4)
            ),
            Case(name: "slots: keyless, names no shard the map lists", map: slots, me: "s1", query: .init(shardID: "nope", clientEpoch: 4), expected: .unknownShard(epoch: 4)),
            Case(name: "slots: neither key nor shard", map: slots, me: "s1", query: .init(clientEpoch: 4), expected: .owned(epoch: 4)),
            Case(
                name: "slots: this server's shard is not in the map",
                map: slots, me: "gone", query: .init(routingKey: mine, clientEpoch: 4),
                expected: .moved(shardID: "s1", endpoint: "tcp://127.0.0.1:7002", epoch: 4)
            ),
            Case(
                name: "slots: pinned endpoint, shard still there",
                map: slots, me: "s1", endpoint: "tcp://127.0.0.1:7002", query: .init(routingKey: mine, clientEpoch: 4), expected: .owned(epoch: 4)
            ),
            Case(
                name: "slots: pinned endpoint, shard moved to another machine",
                map: Self.slotsS1Moved, me: "s1", endpoint: "tcp://127.0.0.1:7002", query: .init(routingKey: mine, clientEpoch: 4),
                expected: .moved(shardID: "s1", endpoint: "tcp://10.0.0.9:7002", epoch: 5)
            ),
            Case(name: "jump: own key", map: four, me: "j1", query: .init(routingKey: staysOnJ1, clientEpoch: 4), expected: .owned(epoch: 4)),
            Case(
                name: "jump: a fifth shard takes a key from a client on four",
                map: five, me: "j1", query: .init(routingKey: movesToJ4, shardID: "j1", clientEpoch: 4),
                expected: .moved(shardID: "j4", endpoint: "tcp://127.0.0.1:7104", epoch: 5)
            ),
            Case(name: "jump: the fifth shard owns the moved key", map: five, me: "j4", query: .init(routingKey: movesToJ4, shardID: "j1", clientEpoch: 4), expected: .owned(epoch: 5)),
            Case(name: "jump: a key that stays under five shards", map: five, me: "j1", query: .init(routingKey: staysOnJ1, clientEpoch: 4), expected: .owned(epoch: 5)),
            Case(name: "jump: newer client map", map: four, me: "j1", query: .init(routingKey: staysOnJ1, clientEpoch: 5), expected: .clientMapNewer(epoch: 4)),
            Case(name: "jump: keyless, names no shard the map lists", map: four, me: "j1", query: .init(shardID: "j4", clientEpoch: 4), expected: .unknownShard(epoch: 4)),
            Case(
                name: "jump: keyless, names another shard",
                map: five, me: "j1", query: .init(shardID: "j4", clientEpoch: 5),
                expected: .moved(shardID: "j4", endpoint: "tcp://127.0.0.1:7104", epoch: 5)
            ),
        ]
    }()

    @Test("the decision, case by case", arguments: Self.cases)
    func decision(_ testCase: Case) {
        let decided = ShardMapOwnership.decide(testCase.query, map: testCase.map, shardID: testCase.me, endpoint: testCase.endpoint)
        #expect(decided == testCase.expected)
        // The live form decides the same from the store's map.
        let store = ShardMapStore(map: testCase.map, logger: Logger(label: "test"))
        #expect(ShardMapOwnership(store: store, shardID: testCase.me, endpoint: testCase.endpoint).decide(testCase.query) == testCase.expected)
    }

    @Test("the issue's scenario: slots 0-99 move from s0 to s1 and k-161 moves with them")
    func scenarioKey() throws {
        func map(epoch: UInt64, s0: [ClosedRange<Int>], s1: [ClosedRange<Int>]) throws -> ShardMap {
            try ShardMap(ClusterConfig(
                cluster: "scenario",
                epoch: epoch,
                routing: .slots(),
                shards: [ShardInfo(id: "s0", endpoint: "tcp://127.0.0.1:7001", slots: s0), ShardInfo(id: "s1", endpoint: "tcp://127.0.0.1:7002", slots: s1)]
            ))
        }
        let before = try map(epoch: 1, s0: [0...8191], s1: [8192...16383])
        let after = try map(epoch: 2, s0: [100...8191], s1: [0...99, 8192...16383])
        let key = Array("k-161".utf8)
        #expect((0...99).contains(before.slot(forKey: key) ?? -1))
        #expect(before.shard(forKey: key).id == "s0")
        // The stale client (epoch 1) sends to s0, which now says s1 owns it.
        #expect(
            ShardMapOwnership.decide(.init(routingKey: key, shardID: "s0", clientEpoch: 1), map: after, shardID: "s0", endpoint: nil)
                == .moved(shardID: "s1", endpoint: "tcp://127.0.0.1:7002", epoch: 2)
        )
        #expect(ShardMapOwnership.decide(.init(routingKey: key, shardID: "s1", clientEpoch: 2), map: after, shardID: "s1", endpoint: nil) == .owned(epoch: 2))
        // A server still on epoch 1 asked by a client on epoch 2 must reload first, not serve.
        #expect(ShardMapOwnership.decide(.init(routingKey: key, clientEpoch: 2), map: before, shardID: "s0", endpoint: nil) == .clientMapNewer(epoch: 1))
    }

    @Test("follows the store's reloads on the next decision")
    func followsReloads() throws {
        let store = ShardMapStore(map: Self.jump(4), logger: Logger(label: "test"))
        let ownership = ShardMapOwnership(store: store, shardID: "j1")
        let moving = Self.key(ownedBy: "j1", in: Self.jump(4), andBy: "j4", in: Self.jump(5))
        #expect(ownership.decide(.init(routingKey: moving, clientEpoch: 4)) == .owned(epoch: 4))
        try store.update(to: Self.jump(5))
        #expect(ownership.epoch == 5)
        #expect(ownership.decide(.init(routingKey: moving, clientEpoch: 4)) == .moved(shardID: "j4", endpoint: "tcp://127.0.0.1:7104", epoch: 5))
    }
}
