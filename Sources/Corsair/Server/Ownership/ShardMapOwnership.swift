import ShardMap

/// Shard ownership read from a live `ShardMapStore`: a server owns one shard id, and
/// every decision reads the map in use at that moment, so reloads apply to the next request.
///
/// A request for this server's shard is served while the map lists that shard (and, when
/// ``endpoint`` is given, still places it at that endpoint). Any other request is answered "wrong
/// shard" with the owner's endpoint from the current map, when the map knows the shard, and the
/// current map's epoch, so the client can tell whether its own map is stale.
///
/// ```swift
/// let store = try ShardMapStore(contentsOf: "Configs/cluster.yaml", logger: logger)
/// if let shard = store.current.shard(id: "s1") {
///     var configuration = CorsairServer.Configuration(endpoints: [shard.endpoint])
///     configuration.ownership = ShardMapOwnership(store: store, shardID: "s1")
/// }
/// ```
public struct ShardMapOwnership: ShardOwnership {
    /// The map, possibly reloading; read once per decision.
    public let store: ShardMapStore
    /// The shard this server serves.
    public let shardID: String
    /// When set, the shard is owned only while the map places it at this endpoint, so a server
    /// left behind after its shard moved to another machine turns requests away. `nil` owns the
    /// shard wherever the map places it.
    public let endpoint: String?

    /// Ownership of one shard, as the store's current map says.
    /// - Parameters:
    ///   - store: The shard map in use, reloaded elsewhere (`ShardMapStore.watch(interval:)`, SIGHUP).
    ///   - shardID: The shard this server serves.
    ///   - endpoint: The endpoint the map must list for the shard, or `nil` not to check it.
    public init(store: ShardMapStore, shardID: String, endpoint: String? = nil) {
        self.store = store
        self.shardID = shardID
        self.endpoint = endpoint
    }

    /// The epoch of the map in use.
    public var epoch: UInt64 {
        self.store.current.epoch
    }

    /// Owned when `shardID` is this server's shard in the map in use; otherwise "not owned", with
    /// the owner's endpoint (if the map lists the shard) and the map's epoch.
    public func decide(shardID: String, clientEpoch: UInt64) -> ShardOwnershipDecision {
        // One snapshot for the whole decision: a reload between two reads must not mix maps.
        let map = self.store.current
        let listed = map.shard(id: shardID)
        if shardID == self.shardID, let listed, self.endpoint == nil || listed.endpoint == self.endpoint {
            return .owned
        }
        return .notOwned(ownerEndpoint: listed?.endpoint, epoch: map.epoch)
    }
}
