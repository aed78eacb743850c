import Logging
import Tracing
import ZeroMQ

extension CorsairServer {
    /// How a ``CorsairServer`` behaves. Every field but the endpoints has a documented default.
    ///
    /// ```swift
    /// var configuration = CorsairServer.Configuration(endpoints: ["tcp://*:5555", "ipc:///run/kv.sock"])
    /// configuration.maxInFlight = 256
    /// configuration.drainTimeout = .seconds(10)
    /// ```
    public struct Configuration: Sendable {
        /// The endpoints the ROUTER socket binds, such as `tcp://*:5555` or `tcp://127.0.0.1:*` (a
        /// wildcard port: read the chosen one from ``CorsairServer/boundEndpoints``). At least one.
        public var endpoints: [String]

        /// The most handlers running at once. A request past the bound is answered "overloaded, retry
        /// after ``overloadRetryAfter``" at once rather than queued. Default: 1024.
        public var maxInFlight: Int

        /// The wait an "overloaded" answer asks clients to keep before retrying. Default: 100 ms.
        public var overloadRetryAfter: Duration

        /// The most (client id, request id) pairs the replay cache remembers; the oldest go first.
        /// 0 turns replay off, so a retried request runs again. Default: 100,000.
        public var replayCacheEntries: Int

        /// How long a finished request's reply stays in the replay cache. Default: 60 s.
        public var replayCacheTTL: Duration

        /// The most bytes of replies (header and body frames) the replay cache keeps; the oldest go
        /// first, so large replies shorten how many are remembered rather than growing the server.
        /// One reply larger than this is kept alone until the next. At least 1. Default: 64 MiB.
        public var replayCacheMaxBytes: Int

        /// The largest frame a peer may send (libzmq's `ZMQ_MAXMSGSIZE`, checked per frame); a peer
        /// that sends a larger one is disconnected. `nil` for no limit. Default: 16 MiB.
        public var maxMessageSize: Int64?

        /// The most bytes a request may have, all its frames together (routing id and delimiter
        /// included); a larger one is answered "bad request" when it can be, and its handler never
        /// runs. Frames past the bound are read and discarded, never kept, so a peer cannot make the
        /// server hold ``maxFramesPerMessage`` frames of ``maxMessageSize`` each. Keep it at least
        /// ``maxMessageSize``, or single-frame requests below the frame limit are refused. `nil` for
        /// no limit. Default: 64 MiB.
        public var maxRequestBytes: Int?

        /// The most frames a request may have, envelope included; a longer one is counted as
        /// malformed and answered "bad request" when it can be. Default: 1024.
        public var maxFramesPerMessage: Int

        /// A request that arrives with at most this much of its deadline left is answered "deadline
        /// expired" without running the handler. Clients send 1 ms for a deadline that has passed.
        /// Default: 1 ms.
        public var minimumRemainingDeadline: Duration

        /// On graceful shutdown, how long running handlers may take to finish and have their replies
        /// sent; handlers still running then are cancelled and their clients get no reply.
        /// Default: 5 s.
        public var drainTimeout: Duration

        /// CURVE encryption and client authentication; `nil` serves plain text. Default: `nil`.
        public var curve: CurveServerSecurity?

        /// Which requests this server owns, decided from each request's key under the server's map
        /// (``ShardMapOwnership``); `nil` serves every request. Default: `nil`.
        public var ownership: (any ShardOwnership)?

        /// With ``ownership`` set, whether raw (headerless) requests run. A raw request carries no key
        /// the server could check, so by default a sharded server answers it with one frame,
        /// `ERR raw requests are refused on a sharded server; ...`, and never runs the handler.
        /// Servers without ownership always run raw requests. Default: `false`.
        public var allowsRawRequests: Bool

        /// How long a client is asked to wait before retrying after a ``ReplyStatus/serverMapOlder``
        /// answer, and the shortest time between two reloads of the map that requests from a newer
        /// epoch trigger (a client that claims an epoch no file has cannot make the server reload
        /// the file on every request). Default: 100 ms.
        public var olderMapRetryAfter: Duration

        /// The prefix of every metric the server reports. Default: `corsair_server`.
        public var metricsPrefix: String

        /// Where the server logs. Default: a logger labelled `corsair.server`.
        public var logger: Logger

        /// The libzmq context to open the server's sockets in. Default: `nil`, a context of the
        /// server's own.
        ///
        /// Sharing one with a ``ClientEngine`` in the same process (see
        /// ``ClientEngine/Configuration/context``) saves a libzmq I/O thread. Two things change:
        /// a context has room for one ZAP handler, so only one server with a CURVE allow-list may
        /// use it; and a stopped server's ports are freed by libzmq shortly after ``CorsairServer/run()``
        /// returns rather than before, since the context lives on.
        public var context: Context?

        /// The tracer of the handlers' server spans (`corsair.handler`), children of the trace
        /// context each request carried. Default: `nil`, the process's `InstrumentationSystem.tracer`,
        /// looked up per request; with the no-op tracer (nothing bootstrapped) handlers run without a
        /// span.
        public var tracer: (any Tracer)?

        /// A configuration with every default.
        public init(
            endpoints: [String],
            maxInFlight: Int = 1024,
            overloadRetryAfter: Duration = .milliseconds(100),
            replayCacheEntries: Int = 100_000,
            replayCacheTTL: Duration = .seconds(60),
            replayCacheMaxBytes: Int = 64 << 20,
            maxMessageSize: Int64? = 16 << 20,
            maxRequestBytes: Int? = 64 << 20,
            maxFramesPerMessage: Int = 1024,
            minimumRemainingDeadline: Duration = .milliseconds(1),
            drainTimeout: Duration = .seconds(5),
            curve: CurveServerSecurity? = nil,
            ownership: (any ShardOwnership)? = nil,
            allowsRawRequests: Bool = false,
            olderMapRetryAfter: Duration = .milliseconds(100),
            metricsPrefix: String = "corsair_server",
            logger: Logger = Logger(label: "corsair.server"),
            context: Context? = nil,
            tracer: (any Tracer)? = nil
        ) {
            self.endpoints = endpoints
            self.maxInFlight = maxInFlight
            self.overloadRetryAfter = overloadRetryAfter
            self.replayCacheEntries = replayCacheEntries
            self.replayCacheTTL = replayCacheTTL
            self.replayCacheMaxBytes = replayCacheMaxBytes
            self.maxMessageSize = maxMessageSize
            self.maxRequestBytes = maxRequestBytes
            self.maxFramesPerMessage = maxFramesPerMessage
            self.minimumRemainingDeadline = minimumRemainingDeadline
            self.drainTimeout = drainTimeout
            self.curve = curve
            self.ownership = ownership
            self.allowsRawRequests = allowsRawRequests
            self.olderMapRetryAfter = olderMapRetryAfter
            self.metricsPrefix = metricsPrefix
            self.logger = logger
            self.context = context
            self.tracer = tracer
        }

        /// Checks every value is in range.
        func validate() throws(CorsairServerError) {
            guard !self.endpoints.isEmpty else {
                throw .invalidConfiguration("no endpoints to bind")
            }
            guard self.maxInFlight >= 1 else {
                throw .invalidConfiguration("maxInFlight must be at least 1, not \(self.maxInFlight)")
            }
            guard self.overloadRetryAfter >= .zero else {
                throw .invalidConfiguration("overloadRetryAfter must not be negative")
            }
            guard self.replayCacheEntries >= 0 else {
                throw .invalidConfiguration("replayCacheEntries must not be negative")
            }
            guard self.replayCacheTTL >= .zero else {
                throw .invalidConfiguration("replayCacheTTL must not be negative")
            }
            guard self.replayCacheMaxBytes >= 1 else {
                throw .invalidConfiguration("replayCacheMaxBytes must be at least 1 byte")
            }
            if let size = self.maxMessageSize, size < 1 {
                throw .invalidConfiguration("maxMessageSize must be at least 1 byte, or nil")
            }
            if let bytes = self.maxRequestBytes, bytes < 1 {
                throw .invalidConfiguration("maxRequestBytes must be at least 1 byte, or nil")
            }
            guard self.maxFramesPerMessage >= 3 else {
                throw .invalidConfiguration("maxFramesPerMessage must be at least 3 (routing id, delimiter, header)")
            }
            guard self.olderMapRetryAfter >= .zero else {
                throw .invalidConfiguration("olderMapRetryAfter must not be negative")
            }
            guard self.drainTimeout >= .zero else {
                throw .invalidConfiguration("drainTimeout must not be negative")
            }
        }
    }
}
