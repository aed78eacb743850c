/// Per-request settings that override the engine's.
public struct RequestOptions: Sendable {
    /// The retry policy; `nil` uses the engine's ``ClientEngine/Configuration/retry``.
    public var retry: RetryPolicy?
    /// Sends only the body frames and takes any reply, for plain REQ/REP peers.
    public var raw: Bool
    /// The shard the request is meant for: checked by the server against its shard map when the
    /// request has no ``routingKey``, a label otherwise.
    public var shardID: String?
    /// The key the request is routed by, sent in the header (its UTF-8) so that the server decides
    /// ownership from the key under its own map. ``ShardedClient`` sets it for keyed requests.
    public var routingKey: String?
    /// The client's shard-map epoch, sent so the server can spot stale maps; 0 means none.
    public var epoch: UInt64
    /// Called on the engine's I/O thread with each event of this request. Must not block.
    public var onEvent: (@Sendable (RequestEvent) -> Void)?
    /// The trace propagation fields the header carries, set by the request entry points from the
    /// request's span when a tracer is in use; `nil` (nothing sent) otherwise.
    var traceContext: TraceContext?

    /// Options; every default defers to the engine.
    public init(
        retry: RetryPolicy? = nil,
        raw: Bool = false,
        shardID: String? = nil,
        routingKey: String? = nil,
        epoch: UInt64 = 0,
        onEvent: (@Sendable (RequestEvent) -> Void)? = nil
    ) {
        self.retry = retry
        self.raw = raw
        self.shardID = shardID
        self.routingKey = routingKey
        self.epoch = epoch
        self.onEvent = onEvent
    }
}
