extension CorsairServer {
    /// What a server has done since it started: the same facts as its metrics, readable in-process
    /// by tests, demos and health checks.
    ///
    /// Taken from the I/O thread's own counts, published after each turn of its loop.
    public struct Statistics: Sendable, Hashable {
        /// Whether the server reads requests now: false before ``CorsairServer/run()`` and from the
        /// start of a shutdown on, which is what a readiness check wants to know.
        public var isServing = false
        /// Replies sent or due, by status, for Corsair and raw requests alike (raw requests count
        /// under ``ReplyStatus/ok`` or ``ReplyStatus/handlerError``). Replays count as replies.
        public var replies: [ReplyStatus: Int] = [:]
        /// Handler runs started.
        public var handlerExecutions = 0
        /// Handlers running now.
        public var inFlight = 0
        /// Requests without a Corsair header.
        public var rawRequests = 0
        /// Raw requests a sharded server refused (see ``Configuration/allowsRawRequests``).
        public var rawRefusals = 0
        /// Reloads of the map that requests from a newer epoch started (each shared by every
        /// request waiting on it).
        public var mapRefreshes = 0
        /// Retried requests answered from the replay cache, or joined to a run still going.
        public var replays = 0
        /// Requests turned away with "overloaded".
        public var overloadReplies = 0
        /// Messages that broke the protocol: answered "bad request" or dropped.
        public var malformedMessages = 0
        /// Replies dropped because their client was gone or its queue was full.
        public var unroutableReplies = 0
        /// CURVE handshakes the allow-list refused.
        public var authenticationRefusals = 0

        /// Nothing done yet.
        public init() {}

        /// The replies sent with `status`.
        public func replies(_ status: ReplyStatus) -> Int {
            self.replies[status] ?? 0
        }
    }
}
