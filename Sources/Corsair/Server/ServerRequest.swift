import Tracing

/// One request as a ``RequestHandler`` sees it: the body frames and what the header said about them.
///
/// Raw requests (from plain REQ clients that send no Corsair header) have ``isRaw`` set and no
/// client id, request id, shard, epoch or deadline.
public struct ServerRequest: Sendable {
    /// The body frames, as the client sent them.
    public var body: [[UInt8]]
    /// The sending client engine's id, or `nil` for a raw request.
    public var clientID: ClientID?
    /// The client's id for this request, the same across its retries; `nil` for a raw request.
    public var requestID: RequestID?
    /// Which attempt of the request this is, starting at 1; 0 for a raw request.
    public var attempt: UInt16
    /// The shard the client addressed, if any (a label when the request carries a key).
    public var shardID: String?
    /// The key the request was routed by, if it carried one; the server checked that it owns it.
    public var routingKey: [UInt8]?
    /// The epoch of the client's shard map; 0 when it has none.
    public var epoch: UInt64
    /// Whether the request came without a Corsair header.
    public var isRaw: Bool
    /// When the client stops waiting for the reply, measured on arrival; `nil` when it did not say.
    ///
    /// Work past this instant is wasted on this attempt, though its reply is still cached for a retry.
    public var deadline: ContinuousClock.Instant?
    /// The server's ownership, for ``checkOwnership()``; `nil` on a server without one.
    var ownership: (any ShardOwnership)?
    /// The trace propagation fields the request carried (see ``TraceContext``), or `nil`. The server
    /// has already made them the parent of the handler's span and `ServiceContext.current`.
    public var traceContext: TraceContext?
    /// The server's configured tracer for the handler's span; `nil` for the process's.
    var tracer: (any Tracer)?

    /// A request; the server makes these, tests may too.
    public init(
        body: [[UInt8]],
        clientID: ClientID? = nil,
        requestID: RequestID? = nil,
        attempt: UInt16 = 0,
        shardID: String? = nil,
        routingKey: [UInt8]? = nil,
        epoch: UInt64 = 0,
        isRaw: Bool = false,
        deadline: ContinuousClock.Instant? = nil
    ) {
        self.body = body
        self.clientID = clientID
        self.requestID = requestID
        self.attempt = attempt
        self.shardID = shardID
        self.routingKey = routingKey
        self.epoch = epoch
        self.isRaw = isRaw
        self.deadline = deadline
    }

    /// The first body frame, or no bytes when the body is empty.
    public var bytes: [UInt8] {
        self.body.first ?? []
    }

    /// The first body frame as UTF-8 text; `nil` when the body is empty or not valid UTF-8.
    public var text: String? {
        guard let first = self.body.first else { return nil }
        return String(validating: first, as: UTF8.self)
    }
}
