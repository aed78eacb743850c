/// How a key chooses its shard: a fixed number of hash slots each owned by one shard (as Redis
/// Cluster does), or jump consistent hashing over the list of shards.
public struct RoutingSettings: Hashable, Sendable {
    /// The routing strategy.
    public enum Strategy: String, Hashable, Sendable, CaseIterable {
        /// `hash(key) mod slots` picks a slot; the slot's owner is the shard.
        case slots
        /// `JumpConsistentHash(fnv1a64(key), shards.count)` picks the shard's position in the list.
        case jump
    }

    /// The hash function applied to a key (or its hash tag).
    public enum Hash: String, Hashable, Sendable, CaseIterable {
        /// CRC-16/XMODEM, as Redis Cluster uses for its key slots.
        case crc16
        /// 64-bit FNV-1a.
        case fnv1a64
    }

    /// Redis Cluster's slot count, the default for ``Strategy/slots``.
    public static let defaultSlotCount = 16384
    /// The largest slot count a map may have.
    public static let maximumSlotCount = 65536

    /// The routing strategy.
    public var strategy: Strategy
    /// The number of slots with ``Strategy/slots``, fixed for the map's life; `nil` with ``Strategy/jump``.
    public var slotCount: Int?
    /// The hash function. ``Strategy/jump`` requires ``Hash/fnv1a64``.
    public var hash: Hash
    /// Whether only the text between the first `{` and the next `}` is hashed, when that text is not empty.
    public var hashTag: Bool

    /// Settings from their parts; ``ClusterConfig/validate()`` checks that they fit together.
    public init(strategy: Strategy, slotCount: Int?, hash: Hash, hashTag: Bool) {
        self.strategy = strategy
        self.slotCount = slotCount
        self.hash = hash
        self.hashTag = hashTag
    }

    /// Slot routing; the defaults are Redis Cluster's: 16384 slots, CRC-16, hash tags on.
    public static func slots(count: Int = defaultSlotCount, hash: Hash = .crc16, hashTag: Bool = true) -> RoutingSettings {
        RoutingSettings(strategy: .slots, slotCount: count, hash: hash, hashTag: hashTag)
    }

    /// Jump consistent hashing over FNV-1a 64 of the key, hash tags on by default.
    public static func jump(hashTag: Bool = true) -> RoutingSettings {
        RoutingSettings(strategy: .jump, slotCount: nil, hash: .fnv1a64, hashTag: hashTag)
    }
}
