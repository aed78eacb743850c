import ZeroMQ

// ZMTP heartbeats on pipelined connections: the options a new connection gets, and how its
// monitor's events say that libzmq dropped it. The engine then rebuilds the connection exactly
// as it rebuilds one silent for an attempt timeout (`EngineCore.rebuild`).
extension EngineCore {
    /// Turns ZMTP heartbeats on for a new pipelined connection, before it connects.
    ///
    /// - Returns: Whether the connection is to be watched for drops: only then does it keep its
    ///   monitor past the handshake. A connection without heartbeats is watched by its replies alone.
    static func startHeartbeats(_ heartbeat: RetryPolicy.Heartbeat?, on socket: Socket) throws(ZMQError) -> Bool {
        guard let heartbeat else { return false }
        try socket.set(.heartbeatInterval, to: heartbeat.interval)
        try socket.set(.heartbeatTimeout, to: heartbeat.timeout)
        // The server resets its TTL timer on each of our pings, which come an interval apart: it
        // waits that long plus the grace we give it, and so drops a client gone for about a timeout.
        let ttl = min(heartbeat.interval + heartbeat.timeout, RetryPolicy.Heartbeat.longestTimeout)
        try socket.set(.heartbeatTTL, to: ttl)
        return true
    }

    /// Whether a watched connection's monitor events say that libzmq dropped an established
    /// connection: a heartbeat went unanswered for the heartbeat timeout, or the peer closed or
    /// reset it.
    ///
    /// A drop before any handshake succeeded is not one: a refused or failed handshake is the
    /// handshake checks' to judge (a wrong CURVE server key shows as repeated drops), and
    /// libzmq keeps retrying a connect that never got through.
    ///
    /// - Parameters:
    ///   - events: The events just read, in order.
    ///   - established: Whether an earlier event already said the handshake succeeded.
    static func connectionDropped(_ events: [MonitorEvent], established: Bool) -> Bool {
        var established = established
        for event in events {
            switch event {
            case .handshakeSucceeded:
                established = true
            case .disconnected where established:
                return true
            default:
                continue
            }
        }
        return false
    }
}
