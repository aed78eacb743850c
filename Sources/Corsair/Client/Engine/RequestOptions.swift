/// Per-request settings that override the engine's.
public struct RequestOptions: Sendable {
    /// The retry policy; `nil` uses the engine's ``ClientEngine/Configuration/retry``.
    public var retry: RetryPolicy?
    /// Sends only the body frames and takes any reply, for plain REQ/REP peers.
    public var raw: Bool
    /// The shard the request is meant for, checked by the server against its shard map.
    public var shardID: String?
    /// The client's shard-map epoch, sent so the server can spot stale maps; 0 means none.
    public var epoch: UInt64
    /// Called on the engine's I/O thread with each event of this request. Must not block.
    public var onEvent: (@Sendable (RequestEvent) -> Void)?

    /// Options; every default defers to the engine.
    public init(
        retry: RetryPolicy? = nil,
        raw: Bool = false,
        shardID: String? = nil,
        epoch: UInt64 = 0,
        onEvent: (@Sendable (RequestEvent) -> Void)? = nil
    ) {
        self.retry = retry
        self.raw = raw
        self.shardID = shardID
        self.epoch = epoch
        self.onEvent = onEvent
    }
}
