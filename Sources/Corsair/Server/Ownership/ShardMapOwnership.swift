import ShardMap

/// Ownership by key under a live `ShardMapStore`: the server is one shard of the map, and every
/// decision applies the routing of the map in use at that moment (hash tag, hash, slots or jump) to
/// the request's own key, so a reload applies to the next request and a client's shard label is
/// never trusted.
///
/// A request whose epoch is newer than the map's makes the server reload the store's file, one
/// reload in flight shared by every request waiting on it, then decide again.
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
    /// left behind after its shard moved to another machine sends requests on. `nil` owns the
    /// shard wherever the map places it.
    public let endpoint: String?

    /// Ownership of one shard, as the store's current map says.
    /// - Parameters:
    ///   - store: The shard map in use, reloaded by a `ShardMapReloadService` (ShardMap module) or on demand.
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

    /// Decides from one snapshot of the store's map; see ``decide(_:map:shardID:endpoint:)``.
    public func decide(_ query: OwnershipQuery) -> ShardOwnershipDecision {
        Self.decide(query, map: self.store.current, shardID: self.shardID, endpoint: self.endpoint)
    }

    /// Reloads the store's file in the background, shared with any reload already in flight.
    public func refresh(then done: @escaping @Sendable () -> Void) {
        guard self.store.path != nil else {
            done()
            return
        }
        self.store.reloadInBackground { _ in done() }
    }

    /// The ownership rule, on one map, in order:
    ///
    /// 1. the client's epoch is newer than the map's → ``ShardOwnershipDecision/clientMapNewer(epoch:)``;
    /// 2. a keyed request: the map's owner of the key; a keyless request naming a shard: that shard,
    ///    or ``ShardOwnershipDecision/unknownShard(epoch:)`` when the map does not list it; neither:
    ///    ``ShardOwnershipDecision/owned(epoch:)`` (the client addressed this server and asked for no check);
    /// 3. the owner is `shardID` (at `endpoint`, when given) → owned; otherwise
    ///    ``ShardOwnershipDecision/moved(shardID:endpoint:epoch:)`` to the owner.
    ///
    /// - Parameters:
    ///   - query: The request's key, shard label and epoch.
    ///   - map: The one snapshot the whole decision reads.
    ///   - shardID: The shard this server serves.
    ///   - endpoint: The endpoint the map must list for it, or `nil` not to check.
    public static func decide(_ query: OwnershipQuery, map: ShardMap, shardID: String, endpoint: String?) -> ShardOwnershipDecision {
        let epoch = map.epoch
        if query.clientEpoch > epoch {
            return .clientMapNewer(epoch: epoch)
        }
        let owner: ShardInfo
        if let key = query.routingKey {
            owner = map.shard(forKey: key)
        } else if let named = query.shardID {
            guard let listed = map.shard(id: named) else { return .unknownShard(epoch: epoch) }
            owner = listed
        } else {
            return .owned(epoch: epoch)
        }
        if owner.id == shardID, endpoint == nil || owner.endpoint == endpoint {
            return .owned(epoch: epoch)
        }
        return .moved(shardID: owner.id, endpoint: owner.endpoint, epoch: epoch)
    }
}
