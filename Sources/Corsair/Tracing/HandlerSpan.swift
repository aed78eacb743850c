import Tracing

/// The server span of one handler run (`corsair.handler`): a child of the trace context the request
/// carried, with `ServiceContext.current` set to it while the handler runs, so the handler's own spans
/// join the caller's trace. Without a tracer the handler just runs.
enum HandlerSpan {
    /// The span's name.
    static let operationName = "corsair.handler"

    /// Runs `handler` inside the request's server span, when `configured` (or the process's tracer)
    /// is a real one.
    static func run<Result>(
        tracer configured: (any Tracer)?,
        _ request: ServerRequest,
        _ handler: () async throws -> Result
    ) async throws -> Result {
        guard let tracer = RequestSpan.tracer(configured: configured) else { return try await handler() }
        let span = Self.start(tracer, request)
        defer { span.end() }
        do {
            return try await ServiceContext.$current.withValue(span.context) { try await handler() }
        } catch {
            Self.fail(span, error)
            throw error
        }
    }

    /// ``run(tracer:_:_:)`` for a handler that answers on the server's I/O thread.
    static func runInline<Result>(
        tracer configured: (any Tracer)?,
        _ request: ServerRequest,
        _ handler: () throws -> Result
    ) throws -> Result {
        guard let tracer = RequestSpan.tracer(configured: configured) else { return try handler() }
        let span = Self.start(tracer, request)
        defer { span.end() }
        do {
            return try ServiceContext.$current.withValue(span.context) { try handler() }
        } catch {
            Self.fail(span, error)
            throw error
        }
    }

    /// A server span whose parent is the context the request carried (a root span when it carried none).
    private static func start(_ tracer: any Tracer, _ request: ServerRequest) -> any Span {
        var context = ServiceContext.topLevel
        if let carried = request.traceContext {
            tracer.extract(carried, into: &context, using: TraceContextExtractor())
        }
        let span = tracer.startSpan(Self.operationName, context: context, ofKind: .server)
        if let shardID = request.shardID {
            span.attributes["corsair.shard_id"] = shardID
        }
        if let requestID = request.requestID {
            span.attributes["corsair.request_id"] = "\(requestID)"
            span.attributes["corsair.attempt"] = Int(request.attempt)
        }
        return span
    }

    private static func fail(_ span: any Span, _ error: any Error) {
        span.recordError(error)
        span.setStatus(SpanStatus(code: .error))
    }
}
