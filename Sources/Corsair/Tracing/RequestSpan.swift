import Synchronization
import Tracing

/// The client span of one request (`corsair.request`): started by the public request entry points
/// when a tracer is in use, it gives the header its trace context and turns the request's events
/// (retries, timeouts, reconnects, pushbacks, redirects) into span events.
///
/// The engine's I/O thread only calls the request's `onEvent`, which this wraps; with no tracer none
/// of this exists and the engine does exactly what it did before.
final class RequestSpan: Sendable {
    /// The span's name.
    static let operationName = "corsair.request"

    private let tracer: any Tracer
    private let span: any Span
    /// Attempts sent, over every send of the request (a redirect's too).
    private let attempts = Atomic<Int>(0)
    private let redirects = Atomic<Int>(0)

    private init(tracer: any Tracer, span: any Span) {
        self.tracer = tracer
        self.span = span
    }

    /// The tracer a component uses: the one it was configured with, or the process's
    /// (`InstrumentationSystem.tracer`, which a `withTracer` scope overrides), looked up per request so
    /// that a bootstrap after the component was made still counts. `nil` when that is the no-op tracer.
    static func tracer(configured: (any Tracer)?) -> (any Tracer)? {
        if configured == nil, type(of: InstrumentationSystem.instrument) == NoOpInstrument.self {
            // Neither a `withTracer` scope nor a bootstrap set an instrument, so there is no tracer
            // to find: answering here spares the search's casts, paid by every request otherwise.
            return nil
        }
        let tracer = configured ?? InstrumentationSystem.tracer
        return tracer is NoOpTracer ? nil : tracer
    }

    /// Runs `body` with `options` carrying the request span's trace context and event hook, when a
    /// tracer is in use; otherwise just runs it.
    static func traced(
        tracer configured: (any Tracer)?,
        endpoint: String,
        options: RequestOptions,
        _ body: (RequestOptions) async throws(CorsairError) -> Reply
    ) async throws(CorsairError) -> Reply {
        guard let request = Self.start(tracer: configured, endpoint: endpoint, shardID: options.shardID) else {
            return try await body(options)
        }
        do {
            let reply = try await body(request.attach(to: options))
            request.end(failure: nil)
            return reply
        } catch {
            request.end(failure: error)
            throw error
        }
    }

    /// ``traced(tracer:endpoint:options:_:)`` for a caller that blocks.
    static func tracedBlocking(
        tracer configured: (any Tracer)?,
        endpoint: String,
        options: RequestOptions,
        _ body: (RequestOptions) throws(CorsairError) -> Reply
    ) throws(CorsairError) -> Reply {
        guard let request = Self.start(tracer: configured, endpoint: endpoint, shardID: options.shardID) else {
            return try body(options)
        }
        do {
            let reply = try body(request.attach(to: options))
            request.end(failure: nil)
            return reply
        } catch {
            request.end(failure: error)
            throw error
        }
    }

    /// A client span, child of the caller's `ServiceContext.current`, or `nil` without a tracer.
    private static func start(tracer configured: (any Tracer)?, endpoint: String, shardID: String?) -> RequestSpan? {
        guard let tracer = Self.tracer(configured: configured) else { return nil }
        let span = tracer.startSpan(Self.operationName, context: ServiceContext.current ?? .topLevel, ofKind: .client)
        span.attributes["corsair.endpoint"] = endpoint
        if let shardID {
            span.attributes["corsair.shard_id"] = shardID
        }
        return RequestSpan(tracer: tracer, span: span)
    }

    /// `options` with this span's trace context for the header and an event hook that records.
    private func attach(to options: RequestOptions) -> RequestOptions {
        var options = options
        var carrier = TraceContext()
        self.tracer.inject(self.span.context, into: &carrier, using: TraceContextInjector())
        options.traceContext = carrier.isEmpty ? nil : carrier
        let observer = options.onEvent
        options.onEvent = { event in
            self.record(event)
            observer?(event)
        }
        return options
    }

    /// Turns a request event into a span event; the first send and success are the span itself.
    private func record(_ event: RequestEvent) {
        switch event {
        case .attemptSent(_, let attempt, let endpoint):
            self.attempts.add(1, ordering: .relaxed)
            guard attempt > 1 else { return }
            self.span.addEvent(SpanEvent(name: "corsair.retry", attributes: ["corsair.attempt": .int64(Int64(attempt)), "corsair.endpoint": "\(endpoint)"]))
        case .timedOut(_, let attempt, let endpoint):
            self.span.addEvent(SpanEvent(name: "corsair.timeout", attributes: ["corsair.attempt": .int64(Int64(attempt)), "corsair.endpoint": "\(endpoint)"]))
        case .reconnecting(_, let attempt, let endpoint):
            self.span.addEvent(SpanEvent(name: "corsair.reconnect", attributes: ["corsair.attempt": .int64(Int64(attempt)), "corsair.endpoint": "\(endpoint)"]))
        case .pushedBack(_, let attempt, let retryAfter):
            self.span.addEvent(SpanEvent(
                name: "corsair.pushback",
                attributes: ["corsair.attempt": .int64(Int64(attempt)), "corsair.retry_after_ms": .int64(Int64(WireFormat.milliseconds(roundingUp: retryAfter)))]
            ))
        case .staleReplyDropped(_, let stale):
            self.span.addEvent(SpanEvent(name: "corsair.stale_reply_dropped", attributes: ["corsair.stale_request_id": "\(stale)"]))
        case .redirected(let from, let to, let shardID, let epoch):
            self.redirects.add(1, ordering: .relaxed)
            self.span.attributes["corsair.endpoint"] = to
            self.span.attributes["corsair.shard_id"] = shardID
            self.span.addEvent(SpanEvent(
                name: "corsair.redirect",
                attributes: ["corsair.from": "\(from)", "corsair.to": "\(to)", "corsair.shard_id": "\(shardID)", "corsair.epoch": "\(epoch)"]
            ))
        case .succeeded, .abandoned:
            return
        }
    }

    /// Ends the span with the request's outcome.
    private func end(failure: CorsairError?) {
        self.span.attributes["corsair.attempts"] = self.attempts.load(ordering: .relaxed)
        let redirects = self.redirects.load(ordering: .relaxed)
        if redirects > 0 {
            self.span.attributes["corsair.redirects"] = redirects
        }
        if let error = failure {
            self.span.attributes["corsair.error"] = "\(error.code)"
            self.span.recordError(error)
            self.span.setStatus(SpanStatus(code: .error))
        }
        self.span.end()
    }
}
