/// Server settings from the config's `server:` section.
///
/// Every field is optional: `nil` means the file did not set it and the server applies its default,
/// listed in ``Defaults`` and in docs/CONFIG.md.
public struct ServerSettings: Hashable, Sendable {
    /// The cache of recent replies that lets a retried request get its first reply instead of running twice.
    public struct ReplyCache: Hashable, Sendable {
        /// The most replies kept; 0 turns the cache off.
        public var entries: Int?
        /// How long a reply is kept.
        public var ttl: Duration?
        /// The most bytes of replies kept; the oldest go first. At least 1.
        public var maxBytes: Int?

        /// Cache settings; `nil` leaves a field to its default.
        public init(entries: Int? = nil, ttl: Duration? = nil, maxBytes: Int? = nil) {
            self.entries = entries
            self.ttl = ttl
            self.maxBytes = maxBytes
        }
    }

    /// The defaults a server applies to fields the file leaves out.
    public enum Defaults {
        /// 1024 requests.
        public static let maxInFlight = 1024
        /// 100000 replies.
        public static let replyCacheEntries = 100_000
        /// 60 s.
        public static let replyCacheTTL: Duration = .seconds(60)
        /// 64 MiB.
        public static let replyCacheMaxBytes = 64 << 20
        /// 16 MiB.
        public static let maxMessageSize = 16 << 20
        /// 64 MiB.
        public static let maxRequestSize = 64 << 20
        /// 5 s.
        public static let drainTimeout: Duration = .seconds(5)
        /// `false`: a sharded server refuses raw requests.
        public static let allowRawRequests = false
    }

    /// The most requests a server works on at once; more are answered "overloaded". At least 1.
    public var maxInFlight: Int?
    /// The reply cache.
    public var replyCache: ReplyCache
    /// The largest frame a server accepts, in bytes; a peer that sends a larger one is disconnected.
    /// At least 1.
    public var maxMessageSize: Int?
    /// The largest request a server accepts, in bytes, all its frames together; a larger one is
    /// answered "bad request" before its handler runs. At least 1.
    public var maxRequestSize: Int?
    /// How long a stopping server waits for requests in flight.
    public var drainTimeout: Duration?
    /// Whether a sharded server runs raw (headerless) requests, whose key it cannot check.
    public var allowRawRequests: Bool?

    /// Server settings; `nil` leaves a field to its default.
    public init(
        maxInFlight: Int? = nil,
        replyCache: ReplyCache = ReplyCache(),
        maxMessageSize: Int? = nil,
        maxRequestSize: Int? = nil,
        drainTimeout: Duration? = nil,
        allowRawRequests: Bool? = nil
    ) {
        self.maxInFlight = maxInFlight
        self.replyCache = replyCache
        self.maxMessageSize = maxMessageSize
        self.maxRequestSize = maxRequestSize
        self.drainTimeout = drainTimeout
        self.allowRawRequests = allowRawRequests
    }
}
