import Corsair
import Testing

@Suite("Reply header")
struct ReplyHeaderTests {
    @Test("golden byte layout")
    func goldenLayout() throws {
        let expected: [UInt8] = [
            0x43, 0x52, 0x53, 0x52,  // magic "CRSR"
            0x02,  // version
            0x02,  // type: reply
            0x00, 0x01,  // body frame count
            0x02,  // status: overloaded
            0x00,  // reserved
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // request id
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A,  // epoch
            0x00, 0x00, 0x00, 0xFA,  // retry after: 250 ms
            0x00, 0x04,  // detail length
            0x62, 0x75, 0x73, 0x79,  // "busy"
        ]
        #expect(sampleReplyHeader().encode() == expected)
        #expect(try ReplyHeader.decode(expected) == sampleReplyHeader())
    }

    @Test("status raw values follow the spec")
    func statusValues() {
        #expect(ReplyStatus.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(ReplyStatus.allCases == [.ok, .wrongShard, .overloaded, .deadlineExpired, .handlerError, .badRequest, .moved, .serverMapOlder])
    }

    @Test("a moved reply names the owner's shard id and endpoint, and only a well-formed detail reads as one")
    func movedTarget() throws {
        let header = ReplyHeader.moved(requestID: 3, epoch: 2, shardID: "s1", endpoint: "tcp://10.0.0.7:7000")
        #expect(header.detail == "s1 tcp://10.0.0.7:7000")
        let decoded = try ReplyHeader.decode(header.encode())
        #expect(decoded.movedTarget?.shardID == "s1")
        #expect(decoded.movedTarget?.endpoint == "tcp://10.0.0.7:7000")
        #expect(decoded.epoch == 2)
        for detail in ["", "s1", "s1 ", " tcp://x:1", "s1 tcp://x:1 extra", "s1  tcp://x:1"] {
            #expect(ReplyHeader(status: .moved, requestID: 1, detail: detail).movedTarget == nil, "\(detail)")
        }
        #expect(ReplyHeader(status: .ok, requestID: 1, detail: "s1 tcp://x:1").movedTarget == nil)
    }

    @Test(
        "round trip of edge values",
        arguments: [
            ReplyHeader(status: .ok, requestID: 0),
            ReplyHeader(
                status: .badRequest,
                requestID: .max,
                epoch: .max,
                retryAfter: .milliseconds(UInt32.max),
                detail: String(repeating: "x", count: 65535),
                bodyFrameCount: .max
            ),
            ReplyHeader(status: .wrongShard, requestID: 3, epoch: 4, detail: "tcp://10.0.0.7:7000"),
            ReplyHeader(status: .handlerError, requestID: 5, detail: "naïve 失败 🚫"),
            sampleReplyHeader(),
        ]
    )
    func roundTrip(header: ReplyHeader) throws {
        let frame = header.encode()
        #expect(frame.count == 32 + header.detail.utf8.count)
        #expect(try ReplyHeader.decode(frame) == header)
        let viaPointer = try frame.withUnsafeBytes { bytes throws(ProtocolError) in try ReplyHeader.decode(bytes) }
        #expect(viaPointer == header)
        var out: [UInt8] = [1, 2]
        header.encode(into: &out)
        #expect(out == [1, 2] + frame)
    }

    @Test("every status round trips")
    func everyStatus() throws {
        for status in ReplyStatus.allCases {
            let header = ReplyHeader(status: status, requestID: 42)
            #expect(try ReplyHeader.decode(header.encode()).status == status)
        }
    }

    @Test(
        "retry after goes on the wire as whole milliseconds rounded up",
        arguments: [
            (Duration.zero, UInt32(0)),
            (Duration.seconds(-1), 0),
            (Duration.nanoseconds(1), 1),
            (Duration.milliseconds(10), 10),
            (Duration.seconds(1_000_000_000), UInt32.max),
        ] as [(Duration, UInt32)]
    )
    func retryAfterRounding(retryAfter: Duration, milliseconds: UInt32) throws {
        let header = ReplyHeader(status: .overloaded, requestID: 1, retryAfter: retryAfter)
        #expect(header.retryAfterMilliseconds == milliseconds)
        #expect(try ReplyHeader.decode(header.encode()).retryAfter == .milliseconds(milliseconds))
    }

    @Test("a long detail is cut at a character boundary")
    func detailTruncation() throws {
        // 65,534 ASCII bytes then a 4-byte scalar: the limit falls inside the scalar.
        let ascii = String(repeating: "a", count: 65534)
        let header = ReplyHeader(status: .handlerError, requestID: 1, detail: ascii + "🚀" + "tail")
        let frame = header.encode()
        #expect(frame.count == 32 + 65534)
        #expect(try ReplyHeader.decode(frame).detail == ascii)

        // Exactly at the limit with ASCII: nothing is lost but the excess.
        let long = ReplyHeader(status: .badRequest, requestID: 1, detail: String(repeating: "b", count: 70000))
        #expect(try ReplyHeader.decode(long.encode()).detail == String(repeating: "b", count: 65535))

        // Two-byte scalars: 65,535 is odd, so the last whole one ends at 65,534.
        let twoByte = ReplyHeader(status: .badRequest, requestID: 1, detail: String(repeating: "é", count: 40000))
        #expect(try ReplyHeader.decode(twoByte.encode()).detail == String(repeating: "é", count: 32767))
    }

    @Test("the reserved byte is ignored")
    func reservedIgnored() throws {
        var frame = sampleReplyHeader().encode()
        frame[9] = 0xFF
        #expect(try ReplyHeader.decode(frame) == sampleReplyHeader())
    }
}
