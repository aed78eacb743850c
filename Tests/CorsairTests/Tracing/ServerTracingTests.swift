import Corsair
import InMemoryTracing
import Synchronization
import Testing
import Tracing

/// The server side of tracing, end to end over loopback: a client and a server with in-memory
/// tracers of their own (two processes, as far as tracing can tell), so that the trace can only
/// have crossed in the request header.
@Suite("Tracing: server")
struct ServerTracingTests {
    /// What a handler saw of tracing while it ran.
    final class Seen: Sendable {
        let current = Mutex<InMemorySpanContext?>(nil)
        let carried = Mutex<TraceContext?>(nil)
    }

    @Test("the handler runs in a server span whose parent is the client's span, in the caller's trace")
    func contextArrivesIntact() async throws {
        let clientTracer = InMemoryTracer()
        let serverTracer = InMemoryTracer()
        let seen = Seen()
        let handler = ClosureRequestHandler { request in
            seen.current.withLock { $0 = ServiceContext.current?.inMemorySpanContext }
            seen.carried.withLock { $0 = request.traceContext }
            return ServerReply(request.body)
        }
        let configuration = serverConfiguration { $0.tracer = serverTracer }
        try await withServer(configuration, handler: handler) { _, endpoint in
            let engine = try ClientEngine(configuration: .init(retry: patientPolicy(), tracer: clientTracer))
            let caller = clientTracer.startSpan("caller")
            let reply = try await ServiceContext.$current.withValue(caller.context) {
                try await engine.request(bytes("hi"), to: Endpoint(endpoint), options: .init(shardID: "s3"))
            }
            caller.end()
            #expect(reply.bytes == bytes("hi"))
            await engine.shutdown()

            let clientSpan = try #require(clientTracer.finishedSpans.first { $0.operationName == "corsair.request" })
            let serverSpan = try #require(serverTracer.finishedSpans.first { $0.operationName == "corsair.handler" })
            #expect(serverSpan.kind == .server)
            #expect(serverSpan.traceID == caller.traceID)
            #expect(serverSpan.parentSpanID == clientSpan.spanID)
            #expect(attribute(serverSpan.attributes, "corsair.shard_id") == .string("s3"))
            #expect(attribute(serverSpan.attributes, "corsair.attempt") == .int64(1))
            #expect(serverSpan.status == nil)
            // Inside the handler, the current context is the server span's.
            let current = try #require(seen.current.withLock { $0 })
            #expect(current.spanID == serverSpan.spanID)
            #expect(current.traceID == caller.traceID)
            #expect(seen.carried.withLock { $0?[InMemoryTracer.spanIDKey] } == clientSpan.spanID)
        }
    }

    @Test("a failing handler's span has an error status; an inline handler gets a span too")
    func failuresAndInlineHandlers() async throws {
        let serverTracer = InMemoryTracer()
        let failing = ClosureRequestHandler { _ in throw HandlerError("no such thing") }
        try await withServer(serverConfiguration { $0.tracer = serverTracer }, handler: failing) { _, endpoint in
            let engine = try ClientEngine(configuration: .init(retry: patientPolicy(), tracer: InMemoryTracer()))
            await #expect(throws: CorsairError.self) {
                try await engine.request(bytes("x"), to: Endpoint(endpoint))
            }
            await engine.shutdown()
        }
        let failed = try #require(serverTracer.finishedSpans.first { $0.operationName == "corsair.handler" })
        #expect(failed.status?.code == .error)
        #expect(failed.errors.count == 1)

        serverTracer.clearAll()
        try await withServer(serverConfiguration { $0.tracer = serverTracer }, handler: EchoHandler()) { _, endpoint in
            let clientTracer = InMemoryTracer()
            let engine = try ClientEngine(configuration: .init(retry: patientPolicy(), tracer: clientTracer))
            _ = try await engine.request(bytes("x"), to: Endpoint(endpoint))
            await engine.shutdown()
            let clientSpan = try #require(clientTracer.finishedSpans.first)
            let serverSpan = try #require(serverTracer.finishedSpans.first { $0.operationName == "corsair.handler" })
            #expect(serverSpan.traceID == clientSpan.traceID)
            #expect(serverSpan.parentSpanID == clientSpan.spanID)
        }
    }

    @Test("a server without a tracer serves traced requests as any other")
    func untracedServer() async throws {
        let seen = Seen()
        let handler = ClosureRequestHandler { request in
            seen.carried.withLock { $0 = request.traceContext }
            return ServerReply(request.body)
        }
        try await withServer(serverConfiguration { $0.tracer = NoOpTracer() }, handler: handler) { _, endpoint in
            let engine = try ClientEngine(configuration: .init(retry: patientPolicy(), tracer: InMemoryTracer()))
            let reply = try await engine.request(bytes("x"), to: Endpoint(endpoint))
            #expect(reply.bytes == bytes("x"))
            #expect(seen.carried.withLock { $0 } != nil)
            await engine.shutdown()
        }
    }
}
