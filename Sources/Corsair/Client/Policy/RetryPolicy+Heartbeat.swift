extension RetryPolicy {
    /// ZMTP heartbeats on a pipelined connection: how a client learns that the connection is dead
    /// without waiting for a request to time out.
    ///
    /// The client pings the server every ``interval`` (`ZMQ_HEARTBEAT_IVL`). When nothing at all
    /// comes back for ``timeout`` after a ping (`ZMQ_HEARTBEAT_TIMEOUT`), libzmq drops the
    /// connection, and the engine closes the socket with `LINGER 0`, opens a new one and resends
    /// every request that was on it, each counting a failed attempt, exactly as it does for a
    /// connection silent for an attempt timeout. The server's libzmq answers pings on its own I/O
    /// thread, whatever its handlers are doing, so a slow handler never looks like a dead
    /// connection; a stopped process, a cut link or a dead host does. The ping also asks the
    /// server to drop the client after ``timeout`` without a ping (`ZMQ_HEARTBEAT_TTL`), so
    /// servers shed dead clients too.
    ///
    /// ```swift
    /// var policy = RetryPolicy(attemptTimeout: .seconds(30), mode: .pipelined)
    /// policy.heartbeat = .init(interval: .milliseconds(500))   // a dead connection shows within ~2 s
    /// policy.heartbeat = nil                                    // only the attempt timeout tells
    /// ```
    public struct Heartbeat: Sendable, Hashable {
        /// The longest ``timeout`` libzmq can pass on as a TTL (kept in tenths of a second in 16 bits).
        public static let longestTimeout: Duration = .milliseconds(6_553_500)

        /// How often the client pings the server. Default: 1 s.
        public var interval: Duration
        /// How long the connection may stay silent after a ping before it counts as dead, and how
        /// long the server waits for the next ping before dropping the client. Default: three
        /// intervals, so that one late answer (a TCP retransmission, a busy host) is not taken
        /// for a dead connection.
        public var timeout: Duration

        /// Heartbeats every `interval`, dead after `timeout` without traffic.
        ///
        /// - Parameters:
        ///   - interval: How often to ping. Default: 1 s.
        ///   - timeout: How long a silence after a ping means the connection is dead; `nil` for
        ///     three intervals. Default: `nil`.
        public init(interval: Duration = .seconds(1), timeout: Duration? = nil) {
            self.interval = interval
            self.timeout = timeout ?? interval * 3
        }

        /// Checks that both durations are usable, throwing for the first that is not.
        ///
        /// - Throws: ``RetryPolicyError`` with code ``RetryPolicyError/Code/invalidHeartbeat``.
        public func validated() throws(RetryPolicyError) {
            guard self.interval > .zero else {
                throw RetryPolicyError(
                    code: .invalidHeartbeat,
                    field: "heartbeat.interval",
                    message: "must be positive (set heartbeat to nil to turn heartbeats off), got \(self.interval)"
                )
            }
            guard self.timeout > .zero, self.timeout <= Self.longestTimeout else {
                throw RetryPolicyError(
                    code: .invalidHeartbeat,
                    field: "heartbeat.timeout",
                    message: "must be positive and at most \(Self.longestTimeout), got \(self.timeout)"
                )
            }
        }
    }
}
