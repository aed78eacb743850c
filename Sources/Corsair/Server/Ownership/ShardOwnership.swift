/// Tells a ``CorsairServer`` which requests it owns, so it can send the others to their owner.
///
/// The server asks for every request that carries a routing key or names a shard, on its I/O thread,
/// so answers must be quick and must not block: decide from one snapshot of the map (an `Atomic`, a
/// `Mutex`-guarded value) that a reload replaces. Requests with neither key nor shard are served.
///
/// ```swift
/// struct FromMap: ShardOwnership {
///     let store: ShardMapStore
///     var epoch: UInt64 { store.current.epoch }
///     func decide(_ query: OwnershipQuery) -> ShardOwnershipDecision {
///         ShardMapOwnership.decide(query, map: store.current, shardID: "s1", endpoint: nil)
///     }
///     func refresh(then done: @escaping @Sendable () -> Void) {
///         store.reloadInBackground { _ in done() }
///     }
/// }
/// ```
public protocol ShardOwnership: Sendable {
    /// The epoch of the shard map this server serves under, sent in replies; 0 for none.
    var epoch: UInt64 { get }

    /// What the server does with one request, decided from one snapshot of the map.
    func decide(_ query: OwnershipQuery) -> ShardOwnershipDecision

    /// Tries to bring the map up to date after ``decide(_:)`` said the client's map is newer, then
    /// calls `done` on any thread; the server then decides again.
    ///
    /// Must not block the caller (the server's I/O thread). Calls made while one refresh is in
    /// flight should share it. The default calls `done` at once: a fixed map has nothing to reload.
    func refresh(then done: @escaping @Sendable () -> Void)
}

extension ShardOwnership {
    public func refresh(then done: @escaping @Sendable () -> Void) {
        done()
    }
}

/// What a request says about where it belongs, as a ``ShardOwnership`` sees it.
public struct OwnershipQuery: Sendable, Hashable {
    /// The key the request is routed by, or `nil` for a keyless request.
    public var routingKey: [UInt8]?
    /// The shard the request names: the target of a keyless request, a label otherwise.
    public var shardID: String?
    /// The epoch of the client's shard map; 0 when it has none.
    public var clientEpoch: UInt64

    /// A query from its parts.
    public init(routingKey: [UInt8]? = nil, shardID: String? = nil, clientEpoch: UInt64 = 0) {
        self.routingKey = routingKey
        self.shardID = shardID
        self.clientEpoch = clientEpoch
    }
}

/// What a ``ShardOwnership`` says about one request, with the epoch of the map that says it.
public enum ShardOwnershipDecision: Sendable, Hashable {
    /// This server owns the key (or is the shard named): run the handler.
    case owned(epoch: UInt64)
    /// Another shard owns it: answer ``ReplyStatus/moved`` naming that shard and where it listens.
    case moved(shardID: String, endpoint: String, epoch: UInt64)
    /// A keyless request names a shard the map does not list: answer ``ReplyStatus/wrongShard``.
    case unknownShard(epoch: UInt64)
    /// The client's map is newer than this one: refresh, decide again, and if the map is still older
    /// answer ``ReplyStatus/serverMapOlder``; never serve or redirect from the older map.
    case clientMapNewer(epoch: UInt64)
}
