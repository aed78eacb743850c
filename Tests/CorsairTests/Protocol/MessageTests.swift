import Corsair
import Testing

@Suite("Messages and server envelopes")
struct MessageTests {
    @Test("a request message sets the body frame count and decodes back on the server")
    func requestMessage() throws {
        var header = sampleRequestHeader()
        header.bodyFrameCount = 99
        let body: [[UInt8]] = [[1, 2], [], [3]]
        let frames = try RequestMessage.encode(header: header, body: body)
        #expect(frames.count == 4)
        #expect(Array(frames.dropFirst()) == body)
        header.bodyFrameCount = 3
        #expect(try RequestHeader.decode(frames[0]) == header)

        let routed = [[0x00, 0x6B, 0x8B, 0x45, 0x67], []] + frames
        #expect(IncomingRequest.parse(frames: routed) == .corsair(envelope: [[0x00, 0x6B, 0x8B, 0x45, 0x67], []], header: header, body: body))
    }

    @Test("a reply built by the server decodes on the client")
    func replyRoundTrip() throws {
        let envelope: [[UInt8]] = [[9, 9], []]
        let frames = try ServerEnvelope.reply(envelope: envelope, header: ReplyHeader(status: .ok, requestID: 5, bodyFrameCount: 7), body: [[1], [2]])
        #expect(Array(frames.prefix(2)) == envelope)
        // The REQ socket strips the envelope.
        let (header, body) = try ReplyMessage.decode(frames: Array(frames.dropFirst(2)))
        #expect(header == ReplyHeader(status: .ok, requestID: 5, bodyFrameCount: 2))
        #expect(body == [[1], [2]])
        let (empty, noBody) = try ReplyMessage.decode(frames: [ReplyHeader(status: .ok, requestID: 6).encode()])
        #expect(empty.requestID == 6)
        #expect(noBody.isEmpty)
    }

    @Test("multi-hop envelopes are kept whole")
    func multiHop() throws {
        let envelope: [[UInt8]] = [[1, 1, 1], [2, 2], [3], []]
        let request = try RequestMessage.encode(header: sampleRequestHeader(), body: [[7], [8], [9]])
        guard case .corsair(let parsedEnvelope, _, let body) = IncomingRequest.parse(frames: envelope + request) else {
            Issue.record("expected a Corsair request")
            return
        }
        #expect(parsedEnvelope == envelope)
        #expect(body == [[7], [8], [9]])
        let reply = try ServerEnvelope.reply(envelope: parsedEnvelope, header: ReplyHeader(status: .ok, requestID: 1), body: [[4]])
        #expect(Array(reply.prefix(4)) == envelope)
        #expect(reply.count == 6)
    }

    @Test("a request that is not a Corsair header is raw")
    func raw() {
        let envelope: [[UInt8]] = [[5], []]
        let short: [UInt8] = [0x43, 0x52, 0x53, 0x52, 0x01]  // the magic, but under 6 bytes
        for body in [[[UInt8]("hello".utf8)], [[]], [short, [1]], [[0x43, 0x52, 0x53, 0x53, 1, 1, 0]]] {
            #expect(IncomingRequest.parse(frames: envelope + body) == .raw(envelope: envelope, body: body))
        }
        #expect(ServerEnvelope.rawReply(envelope: envelope, body: [[1], [2]]) == [[5], [], [1], [2]])
    }

    @Test("a broken Corsair request is malformed and answerable when its request id is readable")
    func malformed() throws {
        let envelope: [[UInt8]] = [[5], []]
        var header = sampleRequestHeader()
        header.bodyFrameCount = 2
        let frame = try header.encode()

        // Fewer body frames than announced.
        guard case .malformed(let env?, let requestID?, let missing) = IncomingRequest.parse(frames: envelope + [frame, [1]]) else {
            Issue.record("expected an answerable malformed request")
            return
        }
        #expect(env == envelope)
        #expect(requestID == header.requestID)
        #expect(missing.code == .missingFrames)

        // More body frames than announced.
        guard case .malformed(_, _, let extra) = IncomingRequest.parse(frames: envelope + [frame, [1], [2], [3]]) else {
            Issue.record("expected a malformed request")
            return
        }
        #expect(extra.code == .extraFrames)

        // Magic but too short to read the request id: unanswerable.
        guard case .malformed(let truncatedEnvelope, nil, let truncated) = IncomingRequest.parse(frames: envelope + [Array(frame.prefix(10))]) else {
            Issue.record("expected a malformed request without request id")
            return
        }
        #expect(truncatedEnvelope == envelope)
        #expect(truncated.code == .truncatedHeader)

        // A reply header sent as a request.
        guard case .malformed(.some, nil, let wrongType) = IncomingRequest.parse(frames: envelope + [sampleReplyHeader().encode()]) else {
            Issue.record("expected a malformed request")
            return
        }
        #expect(wrongType.code == .wrongMessageType)
    }

    @Test("nothing after the delimiter, or no delimiter at all")
    func emptyContent() {
        guard case .malformed(let envelope, nil, let error) = IncomingRequest.parse(frames: [[5], []]) else {
            Issue.record("expected a malformed request")
            return
        }
        #expect(envelope == [[5], []])
        #expect(error.code == .emptyMessage)
        guard case .malformed(nil, nil, let none) = IncomingRequest.parse(frames: []) else {
            Issue.record("expected a malformed request without envelope")
            return
        }
        #expect(none.code == .missingDelimiter)
    }

    @Test("the Corsair header predicate")
    func predicate() {
        #expect(Frame.isCorsairHeader([0x43, 0x52, 0x53, 0x52, 0, 0]))
        #expect(!Frame.isCorsairHeader([0x43, 0x52, 0x53, 0x52, 0]))
        #expect(!Frame.isCorsairHeader([0x43, 0x52, 0x53, 0x51, 0, 0]))
        #expect(!Frame.isCorsairHeader([]))
        let bytes: [UInt8] = [0x43, 0x52, 0x53, 0x52, 1, 2, 3]
        #expect(bytes.withUnsafeBytes { Frame.isCorsairHeader($0) })
    }
}
