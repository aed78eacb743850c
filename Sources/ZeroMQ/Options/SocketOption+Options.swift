import CZeroMQ

// The options Corsair sets, one typed value each. See zmq_setsockopt(3) for their meaning.

extension SocketOption where Value == Duration? {
    /// `ZMQ_LINGER`: how long `close` keeps unsent messages; `nil` waits for ever.
    public static var linger: Self { .optionalMilliseconds(ZMQ_LINGER, "ZMQ_LINGER") }
    /// `ZMQ_SNDTIMEO`: how long a blocking send waits before ``ZMQError/Code/wouldBlock``; `nil` waits for ever.
    public static var sendTimeout: Self { .optionalMilliseconds(ZMQ_SNDTIMEO, "ZMQ_SNDTIMEO") }
    /// `ZMQ_RCVTIMEO`: how long a blocking receive waits before ``ZMQError/Code/wouldBlock``; `nil` waits for ever.
    public static var receiveTimeout: Self { .optionalMilliseconds(ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO") }
    /// `ZMQ_RECONNECT_IVL`: the wait before reconnecting; `nil` never reconnects.
    public static var reconnectInterval: Self { .optionalMilliseconds(ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL") }
}

extension SocketOption where Value == Duration {
    /// `ZMQ_RECONNECT_IVL_MAX`: the cap of exponential reconnect backoff; zero keeps the interval fixed.
    public static var reconnectIntervalMax: Self { .milliseconds(ZMQ_RECONNECT_IVL_MAX, "ZMQ_RECONNECT_IVL_MAX") }
    /// `ZMQ_HANDSHAKE_IVL`: the longest a ZMTP handshake may take; zero means no limit.
    public static var handshakeInterval: Self { .milliseconds(ZMQ_HANDSHAKE_IVL, "ZMQ_HANDSHAKE_IVL") }
    /// `ZMQ_CONNECT_TIMEOUT`: the longest a TCP connect may take; zero leaves it to the OS.
    public static var connectTimeout: Self { .milliseconds(ZMQ_CONNECT_TIMEOUT, "ZMQ_CONNECT_TIMEOUT") }
    /// `ZMQ_HEARTBEAT_IVL`: how often ZMTP pings the peer; zero turns heartbeats off.
    public static var heartbeatInterval: Self { .milliseconds(ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL") }
    /// `ZMQ_HEARTBEAT_TTL`: how long the peer may wait for our next ping before it drops us.
    ///
    /// libzmq keeps it in tenths of a second (up to 6553.5 s) and would truncate; it is rounded
    /// up instead, so the peer never drops us sooner than asked.
    public static var heartbeatTTL: Self {
        Self(
            ZMQ_HEARTBEAT_TTL,
            "ZMQ_HEARTBEAT_TTL",
            .int32(
                encode: { Int32(clamping: (Int64($0.zmqMilliseconds) + 99) / 100 * 100) },
                decode: { .zmqMilliseconds($0) }
            )
        )
    }
    /// `ZMQ_HEARTBEAT_TIMEOUT`: how long we wait for traffic after a ping before dropping the peer.
    public static var heartbeatTimeout: Self { .milliseconds(ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT") }
    /// `ZMQ_TCP_KEEPALIVE_IDLE`: idle time before the OS sends keepalive probes (whole seconds).
    public static var tcpKeepaliveIdle: Self { .seconds(ZMQ_TCP_KEEPALIVE_IDLE, "ZMQ_TCP_KEEPALIVE_IDLE") }
    /// `ZMQ_TCP_KEEPALIVE_INTVL`: time between keepalive probes (whole seconds).
    public static var tcpKeepaliveInterval: Self { .seconds(ZMQ_TCP_KEEPALIVE_INTVL, "ZMQ_TCP_KEEPALIVE_INTVL") }
}

extension SocketOption where Value == Int {
    /// `ZMQ_SNDHWM`: outgoing messages queued per peer before sends block or drop; 0 means no limit.
    public static var sendHighWaterMark: Self { .int(ZMQ_SNDHWM, "ZMQ_SNDHWM") }
    /// `ZMQ_RCVHWM`: incoming messages queued per peer; 0 means no limit.
    public static var receiveHighWaterMark: Self { .int(ZMQ_RCVHWM, "ZMQ_RCVHWM") }
    /// `ZMQ_TCP_KEEPALIVE`: 1 on, 0 off, -1 the OS default.
    public static var tcpKeepalive: Self { .int(ZMQ_TCP_KEEPALIVE, "ZMQ_TCP_KEEPALIVE") }
    /// `ZMQ_TCP_KEEPALIVE_CNT`: unanswered probes before the OS drops the connection; -1 the OS default.
    public static var tcpKeepaliveCount: Self { .int(ZMQ_TCP_KEEPALIVE_CNT, "ZMQ_TCP_KEEPALIVE_CNT") }
    /// `ZMQ_EVENTS`: the socket's ready state, as ``PollEvents`` raw bits.
    static var events: Self { .int(ZMQ_EVENTS, "ZMQ_EVENTS") }
}

extension SocketOption where Value == Int64? {
    /// `ZMQ_MAXMSGSIZE`: the largest message a peer may send before it is disconnected; `nil` means no limit.
    public static var maximumMessageSize: Self {
        Self(
            ZMQ_MAXMSGSIZE,
            "ZMQ_MAXMSGSIZE",
            .int64(encode: { $0 ?? -1 }, decode: { $0 < 0 ? nil : $0 })
        )
    }
}

extension SocketOption where Value == Bool {
    /// `ZMQ_IMMEDIATE`: queue messages only to completed connections.
    public static var immediate: Self { .flag(ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE") }
    /// `ZMQ_ROUTER_MANDATORY`: a ROUTER send to an unknown peer fails with ``ZMQError/Code/hostUnreachable``.
    public static var routerMandatory: Self { .flag(ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY") }
    /// `ZMQ_ROUTER_HANDOVER`: a new peer with a taken routing id takes it over.
    public static var routerHandover: Self { .flag(ZMQ_ROUTER_HANDOVER, "ZMQ_ROUTER_HANDOVER") }
    /// `ZMQ_REQ_RELAXED`: a REQ socket may send again before its reply. Use with ``requestCorrelate``.
    public static var requestRelaxed: Self { .flag(ZMQ_REQ_RELAXED, "ZMQ_REQ_RELAXED") }
    /// `ZMQ_REQ_CORRELATE`: a REQ socket drops replies that do not answer its latest request.
    public static var requestCorrelate: Self { .flag(ZMQ_REQ_CORRELATE, "ZMQ_REQ_CORRELATE") }
    /// `ZMQ_CURVE_SERVER`: this socket is a CURVE server.
    public static var curveServer: Self { .flag(ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER") }
    /// `ZMQ_RCVMORE`: the last frame received has more after it.
    public static var receiveMore: Self { .flag(ZMQ_RCVMORE, "ZMQ_RCVMORE") }
}

extension SocketOption where Value == CurveKey {
    /// `ZMQ_CURVE_PUBLICKEY`: this socket's long-term public key.
    public static var curvePublicKey: Self { .curveKey(ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY") }
    /// `ZMQ_CURVE_SECRETKEY`: this socket's long-term secret key.
    public static var curveSecretKey: Self { .curveKey(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY") }
    /// `ZMQ_CURVE_SERVERKEY`: the server's public key, set on a CURVE client.
    public static var curveServerKey: Self { .curveKey(ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY") }
}

extension SocketOption where Value == [UInt8] {
    /// `ZMQ_ROUTING_ID`: the identity a ROUTER peer sees for this socket (1 to 255 bytes).
    public static var routingID: Self { .bytes(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID") }
    /// `ZMQ_SUBSCRIBE`: a SUB socket's topic prefix.
    public static var subscribe: Self { .bytes(ZMQ_SUBSCRIBE, "ZMQ_SUBSCRIBE") }
    /// `ZMQ_UNSUBSCRIBE`: removes a topic prefix.
    public static var unsubscribe: Self { .bytes(ZMQ_UNSUBSCRIBE, "ZMQ_UNSUBSCRIBE") }
}

extension SocketOption where Value == String {
    /// `ZMQ_ZAP_DOMAIN`: the domain passed to the ZAP handler.
    public static var zapDomain: Self { .string(ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN") }
    /// `ZMQ_LAST_ENDPOINT`: the endpoint last bound or connected, with the port a wildcard chose.
    public static var lastEndpoint: Self { .string(ZMQ_LAST_ENDPOINT, "ZMQ_LAST_ENDPOINT") }
}

extension SocketOption where Value == Int32 {
    /// `ZMQ_FD`: a file descriptor that signals when ``SocketOption/events`` may have changed.
    static var fileDescriptor: Self {
        Self(ZMQ_FD, "ZMQ_FD", .int32(encode: { $0 }, decode: { $0 }))
    }
}
