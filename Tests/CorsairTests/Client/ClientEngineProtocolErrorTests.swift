import Corsair
import Synchronization
import Testing

@Suite("Client engine: bad replies")
struct ClientEngineProtocolErrorTests {
    static let badReplies: [(String, @Sendable (TestPeer.Request) -> [[UInt8]])] = [
        ("no header", { _ in [[]] }),
        ("wrong magic", { request in [bytes("XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")] + request.body }),
        ("truncated header", { request in [Array(TestPeer.reply(to: request)[0].prefix(12))] }),
        ("extra frames", { request in TestPeer.reply(to: request, body: [bytes("a")]) + [bytes("extra")] }),
    ]

    @Test("a malformed reply is a typed protocol error", arguments: 0..<4)
    func malformedReply(index: Int) async throws {
        let make = Self.badReplies[index].1
        let peer = try TestPeer { request in .reply(make(request)) }
        let engine = try makeEngine()
        await #expect {
            _ = try await engine.request(bytes("x"), to: Endpoint(peer.endpoint))
        } throws: { error in
            // The decoding error is there to branch on, as a value.
            guard let error = error as? CorsairError, error.code == .protocolError else { return false }
            return error.underlyingError is ProtocolError
        }
        // The engine still works afterwards.
        let good = try TestPeer(behavior: TestPeer.echo)
        #expect(try await engine.request(bytes("ok"), to: Endpoint(good.endpoint)).bytes == bytes("ok"))
        await engine.shutdown()
    }

    @Test("a reply without Corsair's header is a bad-magic protocol error underneath")
    func badMagicUnderneath() async throws {
        let peer = try TestPeer { _ in .reply([bytes("world")]) }
        let engine = try makeEngine()
        do {
            _ = try await engine.request(bytes("hello"), to: Endpoint(peer.endpoint))
            Issue.record("a reply without a header was accepted")
        } catch {
            #expect(error.code == .protocolError)
            #expect((error.underlyingError as? ProtocolError)?.code == .badMagic, "\(error)")
        }
        await engine.shutdown()
    }

    @Test("a reply with another request id is dropped without spending an attempt")
    func staleRequestID() async throws {
        let calls = Atomic<Int>(0)
        let peer = try TestPeer { request in
            // Answer the first send with a foreign id, the resend properly.
            if calls.wrappingAdd(1, ordering: .relaxed).newValue == 1 {
                return .reply(TestPeer.reply(to: request, requestID: 999_999))
            }
            return .reply(TestPeer.reply(to: request))
        }
        let engine = try makeEngine()
        let reply = try await engine.request(bytes("y"), to: Endpoint(peer.endpoint))
        #expect(reply.bytes == bytes("y"))
        #expect(reply.attempts == 1)
        #expect(peer.requestCount == 2)
        await engine.shutdown()
    }
}

@Suite("Client engine: requests refused at submission")
struct ClientEngineSubmissionTests {
    @Test("a shard id the header cannot carry fails at once, with nothing sent")
    func shardIDTooLong() async throws {
        let peer = try TestPeer(behavior: TestPeer.echo)
        let engine = try makeEngine()
        let options = RequestOptions(shardID: String(repeating: "s", count: 256))
        await #expect {
            _ = try await engine.request(bytes("x"), to: Endpoint(peer.endpoint), options: options)
        } throws: { error in
            guard let error = error as? CorsairError else { return false }
            return error.code == .invalidConfiguration && error.attempts == 0 && "\(error)".contains("shard id is 256 UTF-8 bytes")
        }
        // The same engine still works, and the refused request never reached the server.
        _ = try await engine.request(bytes("y"), to: Endpoint(peer.endpoint))
        #expect(peer.requestCount == 1)
        await engine.shutdown()
    }

    @Test("a per-request policy that is not valid is refused at submission, blocking or not")
    func invalidPolicy() async throws {
        let engine = try makeEngine()
        let options = RequestOptions(retry: testPolicy(attempts: 0))
        await #expect {
            _ = try await engine.request(bytes("x"), to: "tcp://127.0.0.1:9", options: options)
        } throws: { ($0 as? CorsairError)?.code == .invalidConfiguration }
        #expect {
            _ = try engine.requestBlocking([bytes("x")], to: "tcp://127.0.0.1:9", options: options)
        } throws: { ($0 as? CorsairError)?.code == .invalidConfiguration }
        await engine.shutdown()
    }
}
