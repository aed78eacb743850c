import Logging
import Tracing
import ZeroMQ

extension ClientEngine {
    /// How a ``ClientEngine`` behaves. Every field has a documented default.
    ///
    /// ```swift
    /// var configuration = ClientEngine.Configuration()
    /// configuration.retry.attempts = 5
    /// configuration.maxSocketsPerEndpoint = 16
    /// let engine = try ClientEngine(configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// The retry policy requests use unless their ``RequestOptions`` say otherwise.
        /// Default: ``RetryPolicy/default``.
        public var retry: RetryPolicy

        /// The most REQ sockets open to one endpoint at once; each in-flight request holds one, and
        /// requests beyond the bound wait in FIFO order. Default: 64.
        public var maxSocketsPerEndpoint: Int

        /// The most sockets the engine's libzmq context holds at once, closed ones awaiting libzmq's
        /// reaper included; each REQ socket with handshake detection takes three. Default: 8192.
        public var maxOpenSockets: Int

        /// This client's CURVE keypair, used for endpoints that have a server public key. Default:
        /// `nil`, a fresh keypair per engine (the server then needs no allow-list entry for us).
        public var curveKeyPair: CurveKeyPair?

        /// Watch each socket's handshake and turn a failed one into
        /// ``CorsairError/Code/authenticationFailed`` at once, rather than a timeout. Default: `true`.
        public var detectHandshakeFailures: Bool

        /// libzmq's reconnect interval for a socket whose connection dropped. Default: 100 ms.
        public var reconnectInterval: Duration

        /// The prefix of every metric the engine reports. Default: `corsair_client`.
        public var metricsPrefix: String

        /// Where the engine logs. Default: a logger labelled `corsair.client`.
        public var logger: Logger

        /// Called on the I/O thread with every request's events. Must not block. Default: `nil`.
        public var onEvent: (@Sendable (RequestEvent) -> Void)?

        /// The most requests a pipelined connection queues in libzmq (`ZMQ_SNDHWM`) before sends
        /// report "would block"; beyond it requests wait in the engine, their deadlines running,
        /// until the peer reads again. Used by ``RetryPolicy/Mode/pipelined`` only. Default: 1000.
        public var pipelineHighWaterMark: Int

        /// The libzmq context to open sockets in. Default: `nil`, a context of the engine's own
        /// with room for ``maxOpenSockets``.
        ///
        /// A process that also runs a ``CorsairServer`` can give both the same context (see
        /// ``CorsairServer/Configuration/context``): one libzmq I/O thread then carries both
        /// sides' traffic instead of two, which on a small machine is fewer thread wake-ups per
        /// request. A shared context keeps its own socket limit; ``maxOpenSockets`` does not apply.
        public var context: Context?

        /// The tracer of the requests' client spans (`corsair.request`), whose trace context each
        /// request carries to its server. Default: `nil`, the process's `InstrumentationSystem.tracer`,
        /// looked up per request (so a bootstrap after the engine was made, or a `withTracer` scope,
        /// applies). With the no-op tracer, which is what a process that bootstrapped none has, no span
        /// is made and the request header carries no trace context.
        public var tracer: (any Tracer)?

        /// A configuration with every default.
        public init(
            retry: RetryPolicy = .default,
            maxSocketsPerEndpoint: Int = 64,
            maxOpenSockets: Int = 8192,
            curveKeyPair: CurveKeyPair? = nil,
            detectHandshakeFailures: Bool = true,
            reconnectInterval: Duration = .milliseconds(100),
            metricsPrefix: String = "corsair_client",
            logger: Logger = Logger(label: "corsair.client"),
            onEvent: (@Sendable (RequestEvent) -> Void)? = nil,
            context: Context? = nil,
            tracer: (any Tracer)? = nil,
            pipelineHighWaterMark: Int = 1000
        ) {
            self.retry = retry
            self.maxSocketsPerEndpoint = maxSocketsPerEndpoint
            self.maxOpenSockets = maxOpenSockets
            self.curveKeyPair = curveKeyPair
            self.detectHandshakeFailures = detectHandshakeFailures
            self.reconnectInterval = reconnectInterval
            self.metricsPrefix = metricsPrefix
            self.logger = logger
            self.onEvent = onEvent
            self.context = context
            self.tracer = tracer
            self.pipelineHighWaterMark = pipelineHighWaterMark
        }
    }
}
