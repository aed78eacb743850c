import Corsair
import Testing

/// Every `ProtocolError.Code`, reached by a crafted input.
@Suite("Protocol errors")
struct ProtocolErrorTests {
    let request: [UInt8]
    let reply: [UInt8]

    init() throws {
        self.request = try sampleRequestHeader().encode()
        self.reply = sampleReplyHeader().encode()
    }

    @Test("empty message")
    func emptyMessage() {
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try RequestHeader.decode([UInt8]()) } == .emptyMessage)
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try ReplyHeader.decode([UInt8]()) } == .emptyMessage)
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try ReplyMessage.decode(frames: []) } == .emptyMessage)
    }

    @Test("bad magic")
    func badMagic() {
        var frame = self.request
        frame[0] = 0x58
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try RequestHeader.decode(frame) } == .badMagic)
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try ReplyHeader.decode([0x43, 0x52, 0x00]) } == .badMagic)
    }

    @Test("unsupported version")
    func unsupportedVersion() {
        var request = self.request
        request[4] = 3
        let error = protocolError { () throws(ProtocolError) in _ = try RequestHeader.decode(request) }
        #expect(error?.code == .unsupportedVersion)
        #expect(error?.requestID == nil)  // a future layout: the request id's place is unknown
        var reply = self.reply
        reply[4] = 0
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try ReplyHeader.decode(reply) } == .unsupportedVersion)
    }

    @Test("wrong message type")
    func wrongMessageType() {
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try RequestHeader.decode(self.reply) } == .wrongMessageType)
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try ReplyHeader.decode(self.request) } == .wrongMessageType)
        var unknown = self.request
        unknown[5] = 0x7F
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try RequestHeader.decode(unknown) } == .wrongMessageType)
    }

    @Test("truncated header")
    func truncatedHeader() throws {
        // Shorter than magic + version + type.
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try RequestHeader.decode([0x43, 0x52, 0x53]) } == .truncatedHeader)
        // Shorter than the fixed part, but long enough to read the request id.
        let short = Array(self.request.prefix(40))
        let error = protocolError { () throws(ProtocolError) in _ = try RequestHeader.decode(short) }
        #expect(error?.code == .truncatedHeader)
        #expect(error?.requestID == 0x1122_3344_5566_7788)
        // Too short for the request id.
        #expect(protocolError { () throws(ProtocolError) in _ = try RequestHeader.decode(Array(self.request.prefix(20))) }?.requestID == nil)
        // The shard id is cut short.
        let cut = Array(self.request.dropLast())
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try RequestHeader.decode(cut) } == .truncatedHeader)
        // The reply detail is cut short.
        let replyCut = Array(self.reply.dropLast())
        let replyError = protocolError { () throws(ProtocolError) in _ = try ReplyHeader.decode(replyCut) }
        #expect(replyError?.code == .truncatedHeader)
        #expect(replyError?.requestID == 0x0102_0304_0506_0708)
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try ReplyHeader.decode(Array(self.reply.prefix(31))) } == .truncatedHeader)
    }

    @Test("malformed header: trailing bytes")
    func malformedHeader() {
        let error = protocolError { () throws(ProtocolError) in _ = try RequestHeader.decode(self.request + [0]) }
        #expect(error?.code == .malformedHeader)
        #expect(error?.requestID == 0x1122_3344_5566_7788)
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try ReplyHeader.decode(self.reply + [0, 0]) } == .malformedHeader)
    }

    @Test("unknown status")
    func unknownStatus() {
        var frame = self.reply
        frame[8] = 8
        let error = protocolError { () throws(ProtocolError) in _ = try ReplyHeader.decode(frame) }
        #expect(error?.code == .unknownStatus)
        #expect(error?.requestID == 0x0102_0304_0506_0708)
    }

    @Test("missing and extra frames")
    func frameCounts() {
        // The sample reply announces one body frame.
        let missing = protocolError { () throws(ProtocolError) in _ = try ReplyMessage.decode(frames: [self.reply]) }
        #expect(missing?.code == .missingFrames)
        #expect(missing?.requestID == 0x0102_0304_0506_0708)
        let extra = protocolError { () throws(ProtocolError) in _ = try ReplyMessage.decode(frames: [self.reply, [1], [2]]) }
        #expect(extra?.code == .extraFrames)
    }

    @Test("invalid text")
    func invalidText() {
        var request = self.request
        request[50] = 0xFF
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try RequestHeader.decode(request) } == .invalidText)
        var reply = self.reply
        reply[33] = 0xC3  // a lead byte followed by ASCII
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try ReplyHeader.decode(reply) } == .invalidText)
    }

    @Test("missing delimiter")
    func missingDelimiter() {
        guard case .malformed(nil, nil, let error) = IncomingRequest.parse(frames: [[1, 2, 3], self.request]) else {
            Issue.record("expected a malformed request without envelope")
            return
        }
        #expect(error.code == .missingDelimiter)
    }

    @Test("shard id too long")
    func shardIDTooLong() {
        var header = sampleRequestHeader()
        header.shardID = String(repeating: "s", count: 256)
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try header.encode() } == .shardIDTooLong)
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try RequestMessage.encode(header: header, body: []) } == .shardIDTooLong)
    }

    @Test("too many frames")
    func tooManyFrames() {
        let body = [[UInt8]](repeating: [], count: 65536)
        #expect(
            protocolErrorCode { () throws(ProtocolError) in _ = try RequestMessage.encode(header: sampleRequestHeader(), body: body) }
                == .tooManyFrames
        )
        #expect(
            protocolErrorCode { () throws(ProtocolError) in
                _ = try ServerEnvelope.reply(envelope: [[1], []], header: sampleReplyHeader(), body: body)
            } == .tooManyFrames
        )
    }

    @Test("descriptions name the code and request id")
    func descriptions() {
        let error = ProtocolError(code: .badMagic, message: "no magic", requestID: 12)
        #expect(error.description == "no magic (bad magic, request 12)")
        #expect(ProtocolError(code: .extraFrames, message: "x").description == "x (extra frames)")
    }
}
