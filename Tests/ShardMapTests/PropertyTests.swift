import PropertyBased
import ShardMap
import Testing

@Suite("Routing properties")
struct PropertyTests {
    @Test("Every key maps to exactly one listed shard that owns its slot")
    func everyKeyHasOneOwner() async throws {
        // Random slot maps: a slot count split evenly among 1 to 8 shards.
        let slotMaps = zip(Gen.int(in: 1...4096), Gen.int(in: 1...8)).map { count, shards in
            (count, min(shards, count))
        }
        await propertyCheck(count: 60, input: slotMaps, Gen.latin1.string(of: 0...24).array(of: 1...40)) { layout, keys in
            let (slotCount, shardCount) = layout
            // Even cuts; the last shard takes the remainder.
            var ranges: [[String]] = []
            let width = slotCount / shardCount
            for index in 0..<shardCount {
                let lower = index * width
                let upper = index == shardCount - 1 ? slotCount - 1 : lower + width - 1
                ranges.append(["\(lower)-\(upper)"])
            }
            let map: ShardMap
            do {
                map = try ShardMap(parsing: Sample.slots(slots: slotCount, shards: ranges))
            } catch {
                Issue.record("valid map refused: \(error)")
                return
            }
            for key in keys {
                let index = map.shardIndex(forKey: key)
                #expect(map.shards.indices.contains(index))
                let slot = try #require(map.slot(forKey: key))
                #expect((0..<slotCount).contains(slot))
                let owners = map.shards.indices.filter { shard in map.shards[shard].slots.contains { $0.contains(slot) } }
                #expect(owners == [index])
                #expect(map.shard(forKey: key) == map.shards[index])
                #expect(map.shardIndex(forKey: Array(key.utf8)) == index)
                #expect(map.shardIndex(forKey: Substring(key)) == index)
                // Bytes that are not stored contiguously take the slow path; it must agree.
                #expect(map.shardIndex(forKey: AnyCollection(key.utf8)) == index)
                #expect(map.slot(forKey: AnyCollection(key.utf8)) == slot)
            }
        }
    }

    @Test("Every key maps to one listed shard under jump routing")
    func jumpKeysHaveOneOwner() async {
        await propertyCheck(count: 60, input: Gen.int(in: 1...50), Gen.latin1.string(of: 0...24).array(of: 1...40)) { count, keys in
            guard let map = try? ShardMap(parsing: Sample.jump(count: count)) else {
                Issue.record("valid jump map refused")
                return
            }
            for key in keys {
                let index = map.shardIndex(forKey: key)
                #expect(map.shards.indices.contains(index))
                #expect(map.shardIndex(forKey: AnyCollection(key.utf8)) == index)
                #expect(map.shard(id: map.shard(forKey: key).id) != nil)
            }
        }
    }

    @Test("Growing from n to n+1 jump buckets moves about 1/(n+1) of the keys, all to the new bucket")
    func jumpMovesFewKeys() async {
        await propertyCheck(count: 25, input: Gen.int(in: 1...40), Gen.uint64()) { buckets, seed in
            let keys = 4000
            var moved = 0
            for index in 0..<keys {
                let key = FNV1a64.hash("key-\(seed)-\(index)")
                let before = JumpHash.bucket(key: key, buckets: buckets)
                let after = JumpHash.bucket(key: key, buckets: buckets + 1)
                if before != after {
                    moved += 1
                    #expect(after == buckets, "a moved key goes to the new bucket")
                }
            }
            let expected = Double(keys) / Double(buckets + 1)
            // Binomial spread: allow five standard deviations either way.
            let p = 1.0 / Double(buckets + 1)
            let tolerance = 5 * (Double(keys) * p * (1 - p)).squareRoot() + 1
            #expect(abs(Double(moved) - expected) <= tolerance, "moved \(moved) of \(keys), expected about \(expected)")
        }
    }
}
