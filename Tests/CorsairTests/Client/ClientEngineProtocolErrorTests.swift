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
