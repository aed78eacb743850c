/// A fixed shard assignment: the shards this server owns and where the others live.
///
/// For tests, demos and servers whose map never changes; a live map implements ``ShardOwnership``
/// over its own store.
///
/// ```swift
/// let ownership = StaticShardOwnership(
///     epoch: 3,
///     ownedShards: ["users-0"],
///     owners: ["users-1": "tcp://10.0.0.8:5555"]
/// )
/// ```
public struct StaticShardOwnership: ShardOwnership {
    public var epoch: UInt64
    /// The shards this server serves.
    public var ownedShards: Set<String>
    /// The endpoint of each shard's owner, for the "wrong shard" answer; shards missing here are
    /// answered without an owner.
    public var owners: [String: String]

    /// A fixed assignment.
    public init(epoch: UInt64, ownedShards: Set<String>, owners: [String: String] = [:]) {
        self.epoch = epoch
        self.ownedShards = ownedShards
        self.owners = owners
    }

    public func decide(shardID: String, clientEpoch: UInt64) -> ShardOwnershipDecision {
        if self.ownedShards.contains(shardID) {
            return .owned
        }
        return .notOwned(ownerEndpoint: self.owners[shardID], epoch: self.epoch)
    }
}
