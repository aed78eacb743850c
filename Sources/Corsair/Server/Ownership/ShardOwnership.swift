/// Tells a ``CorsairServer`` which shards it owns, so it can turn away requests for the others.
///
/// The server asks for every request that names a shard, on its I/O thread, so answers must be
/// quick and must not block: read a snapshot (an `Atomic`, a `Mutex`-guarded value) that a reload
/// replaces. Requests without a shard are always served.
///
/// ```swift
/// struct FromMap: ShardOwnership {
///     let store: MapStore
///     var epoch: UInt64 { store.current.epoch }
///     func decide(shardID: String, clientEpoch: UInt64) -> ShardOwnershipDecision {
///         let map = store.current
///         return map.owner(of: shardID) == me ? .owned : .notOwned(ownerEndpoint: map.endpoint(of: shardID), epoch: map.epoch)
///     }
/// }
/// ```
public protocol ShardOwnership: Sendable {
    /// The epoch of the shard map this server serves under, sent in every reply; 0 for none.
    var epoch: UInt64 { get }

    /// Whether this server owns `shardID`.
    /// - Parameters:
    ///   - shardID: The shard the request names.
    ///   - clientEpoch: The epoch of the client's shard map; 0 when it has none.
    /// - Returns: ``ShardOwnershipDecision/owned``, or who owns it under which epoch.
    func decide(shardID: String, clientEpoch: UInt64) -> ShardOwnershipDecision
}

/// What a ``ShardOwnership`` says about one request's shard.
public enum ShardOwnershipDecision: Sendable, Hashable {
    /// This server owns the shard: run the handler.
    case owned
    /// Another server owns it: answer "wrong shard" with the owner's endpoint (when known) and the
    /// epoch of the map that says so.
    case notOwned(ownerEndpoint: String?, epoch: UInt64)
}
