/// Thrown by ``ServerRequest/checkOwnership()`` when the key has moved away since the server admitted
/// the request; a handler that lets it propagate makes the server answer ``ReplyStatus/moved`` (or
/// ``ReplyStatus/wrongShard`` when the map no longer lists the shard a shard-level request named).
public struct OwnershipMovedError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The shard that owns the key now.
    public var shardID: String
    /// Where it listens; empty when the map does not list the shard.
    public var endpoint: String
    /// The epoch of the map that says so.
    public var epoch: UInt64

    /// An error from its parts.
    public init(shardID: String, endpoint: String, epoch: UInt64) {
        self.shardID = shardID
        self.endpoint = endpoint
        self.epoch = epoch
    }

    public var description: String {
        self.endpoint.isEmpty
            ? "shard \(self.shardID) is not in the server's map (epoch \(self.epoch))"
            : "moved to shard \(self.shardID) at \(self.endpoint) under epoch \(self.epoch)"
    }
}

extension ServerRequest {
    /// Decides ownership again, now, from the server's current map, and throws when the key has moved.
    ///
    /// The server decides ownership when it admits a request; a handler runs a moment later, and a
    /// reshard may land in between. A handler whose writes must never run on a shard that no longer
    /// owns the key calls this inside the write's critical section (the transaction that also records
    /// the write), and lets the error propagate: the server answers ``ReplyStatus/moved`` and the
    /// client goes to the new owner. Requests without a key or shard, raw requests and servers without
    /// ownership always pass.
    ///
    /// ```swift
    /// func handle(_ request: ServerRequest) async throws -> ServerReply {
    ///     try database.transaction { tx in
    ///         try request.checkOwnership()
    ///         tx.write(...)
    ///     }
    /// }
    /// ```
    public func checkOwnership() throws(OwnershipMovedError) {
        guard let ownership = self.ownership, self.routingKey != nil || self.shardID != nil else { return }
        // The client's epoch was checked on admission; only the owner is asked now.
        switch ownership.decide(OwnershipQuery(routingKey: self.routingKey, shardID: self.shardID)) {
        case .owned, .clientMapNewer:
            return
        case .moved(let shardID, let endpoint, let epoch):
            throw OwnershipMovedError(shardID: shardID, endpoint: endpoint, epoch: epoch)
        case .unknownShard(let epoch):
            throw OwnershipMovedError(shardID: self.shardID ?? "", endpoint: "", epoch: epoch)
        }
    }
}
