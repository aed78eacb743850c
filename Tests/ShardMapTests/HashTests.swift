import Foundation
import ShardMap
import Testing

@Suite("Hash functions")
struct HashTests {
    @Test("CRC-16/XMODEM check value")
    func crc16CheckValue() {
        #expect(CRC16.xmodem("123456789") == 0x31C3)
        #expect(CRC16.xmodem("") == 0)
        #expect(CRC16.xmodem(Array("123456789".utf8)) == 0x31C3)
    }

    @Test(
        "Redis Cluster key slots",
        arguments: [
            ("foo", 12182), ("bar", 5061), ("hello", 866), ("123456789", 12739),
            // Hash tags, from the Redis Cluster specification's examples.
            ("{user1000}.following", 3443), ("{user1000}.followers", 3443), ("user1000", 3443),
            ("foo{}{bar}", 8363), ("foo{{bar}}zap", 4015), ("foo{bar}{zap}", 5061), ("{bar", 4015),
        ]
    )
    func redisKeySlots(key: String, slot: Int) throws {
        let map = try ShardMap(parsing: Sample.slots())
        #expect(map.slot(forKey: key) == slot)
    }

    @Test("Hash tags can be switched off")
    func hashTagsOff() throws {
        let text = Sample.slots().replacingOccurrences(of: "hash_tag: true", with: "hash_tag: false")
        let map = try ShardMap(parsing: text)
        #expect(map.slot(forKey: "foo{bar}{zap}") == Int(CRC16.xmodem("foo{bar}{zap}")) % 16384)
        #expect(map.slot(forKey: "foo{bar}{zap}") != 5061)
    }

    @Test("FNV-1a 64 reference values")
    func fnv1a64() {
        #expect(FNV1a64.hash("") == 0xcbf2_9ce4_8422_2325)
        #expect(FNV1a64.hash("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(FNV1a64.hash("foobar") == 0x8594_4171_f739_67e8)
        #expect(FNV1a64.hash(Array("foobar".utf8)) == 0x8594_4171_f739_67e8)
    }

    @Test(
        "Jump hash against reference values",
        arguments: [
            // Widely published vectors for the paper's algorithm...
            (UInt64(1), 1, 0), (42, 57, 43), (0xDEAD_10CC, 1, 0), (0xDEAD_10CC, 666, 361), (256, 1024, 520),
            (1, 128, 55), (129, 128, 120), (128, 100_000_000, 38_172_097), (UInt64.max, 128, 92),
            // ...and values from the paper's C++ code compiled as C.
            (0, 65535, 0), (1, 10, 6), (1, 65535, 21134), (42, 2, 1), (42, 65535, 5747),
            (0xDEAD_10CC, 3, 1), (0xDEAD_10CC, 65535, 6591), (123_456_789, 10, 7), (123_456_789, 65535, 42483),
            (UInt64.max, 666, 313), (0x1234_5678_9ABC_DEF0, 57, 33), (0x1234_5678_9ABC_DEF0, 65535, 55019),
        ]
    )
    func jumpReference(key: UInt64, buckets: Int, bucket: Int) {
        #expect(JumpHash.bucket(key: key, buckets: buckets) == bucket)
    }

    @Test("Jump hash with no buckets answers bucket 0")
    func jumpDegenerate() {
        #expect(JumpHash.bucket(key: 0xDEAD_10CC, buckets: 0) == 0)
        #expect(JumpHash.bucket(key: 0xDEAD_10CC, buckets: -666) == 0)
    }

    @Test("Jump routing uses fnv1a64 of the key, bucket i being the i-th shard")
    func jumpRouting() throws {
        let map = try ShardMap(parsing: Sample.jump(count: 5))
        for key in ["a", "user:42", "{tag}x", "", "ünïcødé"] {
            let hashed = key.contains("{tag}") ? "tag" : key
            let expected = JumpHash.bucket(key: FNV1a64.hash(hashed), buckets: 5)
            #expect(map.shardIndex(forKey: key) == expected)
            #expect(map.shard(forKey: key).id == "j\(expected)")
            #expect(map.slot(forKey: key) == nil)
        }
    }
}
