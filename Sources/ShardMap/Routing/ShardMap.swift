/// A validated, immutable shard map: which shard owns each key.
///
/// Build one from a ``ClusterConfig`` (or straight from a file), then route keys with
/// `shard(forKey:)` and its relatives. Lookups are allocation-free: slot maps keep a flat
/// slot → shard table, jump maps hash the key and jump. A map never changes; ``ShardMapStore``
/// swaps in a new one when the file changes, and a request holding the old one finishes on it.
///
/// ```swift
/// let map = try ShardMap(contentsOf: "Configs/demo.yaml")
/// let shard = map.shard(forKey: "user:42")
/// print(map.epoch, shard.id, shard.endpoint)
/// ```
public final class ShardMap: Sendable {
    /// The config the map was built from.
    public let config: ClusterConfig
    /// The shards, in file order; `shardIndex(forKey:)` indexes this array.
    public let shards: [ShardInfo]

    /// Each slot's owner as an index into ``shards``; empty with jump routing.
    private let slotOwners: [UInt16]
    /// Shard positions by id.
    private let indexByID: [String: Int]
    private let usesJump: Bool
    private let usesCRC16: Bool
    private let usesHashTag: Bool

    /// Validates a config and builds its map.
    ///
    /// - Throws: The config's first problem (see ``ClusterConfig/validate()``), with a key path but no file.
    public init(_ config: ClusterConfig) throws(ShardMapError) {
        self.slotOwners = try config.validatedSlotOwners()
        self.config = config
        self.shards = config.shards
        var indexByID: [String: Int] = [:]
        for (index, shard) in config.shards.enumerated() {
            indexByID[shard.id] = index
        }
        self.indexByID = indexByID
        self.usesJump = config.routing.strategy == .jump
        self.usesCRC16 = config.routing.hash == .crc16
        self.usesHashTag = config.routing.hashTag
    }

    /// Loads, validates and builds the map in a YAML or JSON file.
    ///
    /// - Throws: A ``ShardMapError`` naming the file, the key path and the line.
    public convenience init(contentsOf path: String) throws(ShardMapError) {
        try self.init(ClusterConfig(contentsOf: path))
    }

    /// Parses, validates and builds the map in YAML or JSON text.
    public convenience init(parsing text: String, file: String? = nil) throws(ShardMapError) {
        try self.init(ClusterConfig(parsing: text, file: file))
    }

    /// The cluster's name.
    public var cluster: String { self.config.cluster }
    /// The map's epoch, which requests carry.
    public var epoch: UInt64 { self.config.epoch }
    /// How keys are routed.
    public var routing: RoutingSettings { self.config.routing }
    /// The number of slots with slot routing; `nil` with jump routing.
    public var slotCount: Int? { self.usesJump ? nil : self.slotOwners.count }

    /// The shard with an id, if the map lists one.
    public func shard(id: String) -> ShardInfo? {
        self.indexByID[id].map { self.shards[$0] }
    }

    /// The position in ``shards`` of the shard with an id.
    public func shardIndex(id: String) -> Int? {
        self.indexByID[id]
    }

    /// The position in ``shards`` of a slot's owner; `nil` for a slot outside the map or with jump routing.
    public func shardIndex(forSlot slot: Int) -> Int? {
        guard slot >= 0, slot < self.slotOwners.count else { return nil }
        return Int(self.slotOwners[slot])
    }

    /// The slot ranges each shard owns, merged where they touch, in slot order; empty with jump routing.
    public func ownedRanges(ofShard index: Int) -> [ClosedRange<Int>] {
        guard index >= 0, index < self.shards.count else { return [] }
        let merged = self.shards[index].slots.sorted { $0.lowerBound < $1.lowerBound }
        var result: [ClosedRange<Int>] = []
        for range in merged {
            if let last = result.last, range.lowerBound <= last.upperBound + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    // MARK: - The hot path

    /// The slot for a key's bytes, or `nil` with jump routing.
    @usableFromInline
    func slot(forBytes key: UnsafeRawBufferPointer) -> Int? {
        guard !self.usesJump else { return nil }
        let part = self.usesHashTag ? HashTag.hashedPart(of: key) : key
        return self.slot(forHash: self.usesCRC16 ? UInt64(CRC16.xmodem(part)) : FNV1a64.hash(part))
    }

    /// The shard index for a key's bytes.
    @usableFromInline
    func shardIndex(forBytes key: UnsafeRawBufferPointer) -> Int {
        let part = self.usesHashTag ? HashTag.hashedPart(of: key) : key
        if self.usesJump {
            return JumpHash.bucket(key: FNV1a64.hash(part), buckets: self.shards.count)
        }
        let hash = self.usesCRC16 ? UInt64(CRC16.xmodem(part)) : FNV1a64.hash(part)
        return Int(self.slotOwners[self.slot(forHash: hash)])
    }

    /// The slot for a key stored out of line, such as a bridged string.
    @usableFromInline
    func slot<Bytes: Collection<UInt8>>(forCollection key: Bytes) -> Int? {
        guard !self.usesJump else { return nil }
        return self.slot(forHash: self.hash(key))
    }

    /// The shard index for a key stored out of line.
    @usableFromInline
    func shardIndex<Bytes: Collection<UInt8>>(forCollection key: Bytes) -> Int {
        let hash = self.hash(key)
        if self.usesJump {
            return JumpHash.bucket(key: hash, buckets: self.shards.count)
        }
        return Int(self.slotOwners[self.slot(forHash: hash)])
    }

    @inline(__always)
    private func slot(forHash hash: UInt64) -> Int {
        Int(hash % UInt64(self.slotOwners.count))
    }

    private func hash<Bytes: Collection<UInt8>>(_ key: Bytes) -> UInt64 {
        let part = self.usesHashTag ? key[HashTag.hashedRange(of: key)] : key[...]
        return self.usesCRC16 && !self.usesJump ? UInt64(CRC16.xmodem(part)) : FNV1a64.hash(part)
    }
}
