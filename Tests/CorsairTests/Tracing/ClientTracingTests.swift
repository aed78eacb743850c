import Corsair
import InMemoryTracing
import ShardMap
import Synchronization
import Testing
import Tracing

/// A policy whose attempts outlast a loaded machine, for tests that count attempts.
func patientPolicy(attempts: Int = 3) -> RetryPolicy {
    testPolicy(attempts: attempts, timeout: .seconds(5), deadline: .seconds(60))
}

/// The value of a span attribute, comparable.
func attribute(_ attributes: SpanAttributes, _ name: String) -> SpanAttribute? {
    attributes[name]?.toSpanAttribute()
}

/// The client side of tracing, with an in-memory tracer given to the engine (never the process-wide
/// bootstrap, which a test process may set only once): what the header carries, the client span
/// and its events, and nothing at all without a tracer.
@Suite("Tracing: client")
struct ClientTracingTests {
    /// The headers (and whole header frames) a peer received.
    final class Received: Sendable {
        let headers = Mutex<[RequestHeader]>([])
        let frames = Mutex<[[UInt8]]>([])

        func record(_ request: TestPeer.Request) {
            guard let header = request.header else { return }
            self.headers.withLock { $0.append(header) }
            // The header frame follows the envelope's empty delimiter.
            if let delimiter = request.frames.firstIndex(where: \.isEmpty), delimiter + 1 < request.frames.count {
                self.frames.withLock { $0.append(request.frames[delimiter + 1]) }
            }
        }
    }

    /// A peer that records what it receives and echoes it.
    static func echoing(into received: Received) throws -> TestPeer {
        try TestPeer { request in
            received.record(request)
            return .reply(TestPeer.reply(to: request))
        }
    }

    @Test("the header carries the request span's context: the caller's trace, the corsair.request span as parent")
    func contextReachesThePeer() async throws {
        let received = Received()
        let peer = try Self.echoing(into: received)
        let tracer = InMemoryTracer()
        let engine = try ClientEngine(configuration: .init(retry: patientPolicy(), tracer: tracer))
        let caller = tracer.startSpan("caller")
        _ = try await ServiceContext.$current.withValue(caller.context) {
            try await engine.request(bytes("hi"), to: Endpoint(peer.endpoint), options: .init(shardID: "s7"))
        }
        caller.end()
        let spans = tracer.finishedSpans
        let span = try #require(spans.first { $0.operationName == "corsair.request" })
        #expect(span.kind == .client)
        #expect(span.traceID == caller.traceID)
        #expect(span.parentSpanID == caller.spanID)
        #expect(attribute(span.attributes, "corsair.endpoint") == .string(peer.endpoint))
        #expect(attribute(span.attributes, "corsair.shard_id") == .string("s7"))
        #expect(attribute(span.attributes, "corsair.attempts") == .int64(1))
        #expect(span.events.isEmpty)
        let header = try #require(received.headers.withLock { $0.first })
        let context = try #require(header.traceContext)
        #expect(context[InMemoryTracer.traceIDKey] == caller.traceID)
        #expect(context[InMemoryTracer.spanIDKey] == span.spanID)
        await engine.shutdown()
        await peer.stop()
    }

    @Test("a retried request is one span with its timeout, reconnect and retry as events; a failure ends it as an error")
    func retriesAreEvents() async throws {
        let calls = Atomic<Int>(0)
        let received = Received()
        let peer = try TestPeer { request in
            received.record(request)
            return calls.wrappingAdd(1, ordering: .relaxed).newValue == 1 ? .drop : .reply(TestPeer.reply(to: request))
        }
        let tracer = InMemoryTracer()
        let engine = try ClientEngine(configuration: .init(retry: testPolicy(attempts: 5, timeout: .seconds(2), deadline: .seconds(60)), tracer: tracer))
        let reply = try await engine.request(bytes("x"), to: Endpoint(peer.endpoint))
        #expect(reply.attempts == 2)
        let span = try #require(tracer.finishedSpans.first { $0.operationName == "corsair.request" })
        #expect(span.parentSpanID == nil)
        #expect(span.events.map(\.name) == ["corsair.timeout", "corsair.reconnect", "corsair.retry"])
        #expect(attribute(span.events[2].attributes, "corsair.attempt") == .int64(2))
        #expect(attribute(span.attributes, "corsair.attempts") == .int64(2))
        #expect(span.status == nil)
        // Every attempt carries the same context: the one span's.
        let contexts = received.headers.withLock { $0.map(\.traceContext) }
        #expect(contexts.count == 2)
        #expect(Set(contexts.map { $0?[InMemoryTracer.spanIDKey] }) == [span.spanID])

        // A request that fails: an error status and the error recorded.
        tracer.clearAll()
        let dropping = try TestPeer { _ in .drop }
        await #expect(throws: CorsairError.self) {
            try await engine.request(bytes("x"), to: Endpoint(dropping.endpoint), options: .init(retry: testPolicy(attempts: 2, timeout: .milliseconds(50))))
        }
        let failed = try #require(tracer.finishedSpans.first { $0.operationName == "corsair.request" })
        #expect(failed.status?.code == .error)
        #expect(failed.errors.count == 1)
        #expect(attribute(failed.attributes, "corsair.attempts") == .int64(2))
        #expect(attribute(failed.attributes, "corsair.error") != nil)
        await engine.shutdown()
        await peer.stop()
        await dropping.stop()
    }

    @Test("a pushback is an event, and requestBlocking is traced like request")
    func pushbackAndBlocking() async throws {
        let calls = Atomic<Int>(0)
        let peer = try TestPeer { request in
            calls.wrappingAdd(1, ordering: .relaxed).newValue == 1
                ? .reply(TestPeer.reply(to: request, status: .overloaded, body: [], retryAfter: .milliseconds(20)))
                : .reply(TestPeer.reply(to: request))
        }
        let tracer = InMemoryTracer()
        let engine = try ClientEngine(configuration: .init(retry: patientPolicy(), tracer: tracer))
        let endpoint = peer.endpoint
        let reply = try await Task.detached {
            try engine.requestBlocking([bytes("x")], to: Endpoint(endpoint))
        }.value
        #expect(reply.attempts == 2)
        let span = try #require(tracer.finishedSpans.first { $0.operationName == "corsair.request" })
        // A REQ socket that was answered may be replaced before the retry (a reconnect between).
        #expect(span.events.first?.name == "corsair.pushback")
        #expect(span.events.last?.name == "corsair.retry")
        #expect(attribute(span.events[0].attributes, "corsair.retry_after_ms") == .int64(20))
        await engine.shutdown()
        await peer.stop()
    }

    @Test("without a tracer no span is made and the header is byte for byte the untraced encoding")
    func noTracerNoField() async throws {
        let received = Received()
        let peer = try Self.echoing(into: received)
        // The process's tracer (nothing in the tests bootstraps one) and an explicit no-op tracer.
        for tracer in [nil, NoOpTracer()] as [(any Tracer)?] {
            let engine = try ClientEngine(configuration: .init(retry: patientPolicy(), tracer: tracer))
            _ = try await engine.request(bytes("x"), to: Endpoint(peer.endpoint), options: .init(shardID: "s1", routingKey: "k", epoch: 3))
            await engine.shutdown()
        }
        let headers = received.headers.withLock { $0 }
        let frames = received.frames.withLock { $0 }
        #expect(headers.count == 2)
        for (header, frame) in zip(headers, frames) {
            #expect(header.traceContext == nil)
            #expect(frame[46] == 0x01)  // keyed, nothing else
            var untraced = header
            untraced.traceContext = nil
            #expect(try untraced.encode() == frame)
            #expect(frame.count == 50 + 2 + 1)
        }
        await peer.stop()
    }

    @Test("a sharded request that is moved is one span, with the redirect as an event and the new shard's attributes")
    func redirectIsAnEvent() async throws {
        let target = try TestPeer { request in .reply(TestPeer.reply(to: request)) }
        let targetEndpoint = target.endpoint
        let received = Received()
        let mover = try TestPeer { request in
            received.record(request)
            return .reply(TestPeer.reply(to: request, status: .moved, body: [], detail: "s1 \(targetEndpoint)"))
        }
        let file = MapFile()
        try file.writeSlots(epoch: 4, [
            (id: "s0", endpoint: mover.endpoint, slots: ["0-8191"]),
            (id: "s1", endpoint: target.endpoint, slots: ["8192-16383"]),
        ])
        let tracer = InMemoryTracer()
        let engine = try ClientEngine(configuration: .init(retry: patientPolicy(), tracer: tracer))
        let client = ShardedClient(store: try file.store(), engine: engine)
        let map = client.store.current
        let key = try #require((0..<10_000).lazy.map { "key-\($0)" }.first { map.shard(forKey: $0).id == "s0" })
        let reply = try await client.request(key: key, body: [bytes("GET")], options: .init(retry: patientPolicy()))
        #expect(reply.bytes == bytes("GET"))
        let spans = tracer.finishedSpans.filter { $0.operationName == "corsair.request" }
        #expect(spans.count == 1)
        let span = try #require(spans.first)
        #expect(span.events.map(\.name) == ["corsair.redirect"])
        #expect(attribute(span.events[0].attributes, "corsair.to") == .string(targetEndpoint))
        #expect(attribute(span.attributes, "corsair.shard_id") == .string("s1"))
        #expect(attribute(span.attributes, "corsair.endpoint") == .string(targetEndpoint))
        #expect(attribute(span.attributes, "corsair.attempts") == .int64(2))
        #expect(attribute(span.attributes, "corsair.redirects") == .int64(1))
        #expect(received.headers.withLock { $0.first?.traceContext?[InMemoryTracer.spanIDKey] } == span.spanID)
        await client.shutdown()
        await mover.stop()
        await target.stop()
        file.remove()
    }
}
