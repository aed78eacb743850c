import Corsair
import Testing

@Suite("Request header")
struct RequestHeaderTests {
    @Test("golden byte layout")
    func goldenLayout() throws {
        let expected: [UInt8] = [
            0x43, 0x52, 0x53, 0x52,  // magic "CRSR"
            0x02,  // version
            0x01,  // type: request
            0x00, 0x03,  // body frame count
            0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,  // client id
            0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
            0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,  // request id
            0x00, 0x02,  // attempt
            0x00, 0x00, 0x05, 0xDC,  // remaining deadline: 1500 ms
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09,  // epoch
            0x00,  // flags: no key
            0x02,  // shard id length
            0x00, 0x00,  // key length
            0x61, 0x62,  // "ab"
        ]
        let encoded = try sampleRequestHeader().encode()
        #expect(encoded == expected)
        #expect(try RequestHeader.decode(expected) == sampleRequestHeader())
        // Keyed: flag bit 0, the key's length, and its bytes after the shard id.
        var keyed = sampleRequestHeader()
        keyed.routingKey = Array("k-161".utf8)
        var expectedKeyed = expected
        expectedKeyed[46] = 0x01
        expectedKeyed[49] = 0x05
        expectedKeyed += Array("k-161".utf8)
        #expect(try keyed.encode() == expectedKeyed)
        #expect(try RequestHeader.decode(expectedKeyed) == keyed)
    }

    @Test("an empty key is a key, distinct from none")
    func emptyKey() throws {
        var header = sampleRequestHeader()
        header.routingKey = []
        let decoded = try RequestHeader.decode(try header.encode())
        #expect(decoded.routingKey == [])
        header.routingKey = nil
        #expect(try RequestHeader.decode(try header.encode()).routingKey == nil)
    }

    @Test("a key over 65,535 bytes cannot be encoded")
    func keyTooLong() {
        var header = sampleRequestHeader()
        header.routingKey = Array(repeating: 0x61, count: 65_536)
        var out: [UInt8] = []
        let error = protocolError { () throws(ProtocolError) in try header.encode(into: &out) }
        #expect(error?.code == .routingKeyTooLong)
        #expect(out.isEmpty)
        header.routingKey = Array(repeating: 0x61, count: 65_535)
        #expect((try? RequestHeader.decode(try header.encode()))?.routingKey?.count == 65_535)
    }

    @Test("a version-1 request is refused as obsolete, with its request id so its sender can be answered")
    func obsoleteVersion() throws {
        var frame = try sampleRequestHeader().encode()
        frame[4] = 1
        let error = protocolError { () throws(ProtocolError) in _ = try RequestHeader.decode(frame) }
        #expect(error?.code == .obsoleteVersion)
        #expect(error?.requestID == sampleRequestHeader().requestID)
        // A version-1 reply type is no request: plain unsupported version.
        frame[5] = 2
        #expect(protocolErrorCode { () throws(ProtocolError) in _ = try RequestHeader.decode(frame) } == .unsupportedVersion)
    }

    @Test(
        "round trip of edge values",
        arguments: [
            RequestHeader(clientID: ClientID(high: 0, low: 0), requestID: 0, attempt: 0),
            RequestHeader(
                clientID: ClientID(high: .max, low: .max),
                requestID: .max,
                attempt: .max,
                remainingDeadline: .milliseconds(UInt32.max),
                epoch: .max,
                shardID: String(repeating: "z", count: 255),
                bodyFrameCount: .max
            ),
            RequestHeader(clientID: sampleClientID, requestID: 1, remainingDeadline: .milliseconds(1), shardID: "é-日本-🚀"),
            RequestHeader(clientID: sampleClientID, requestID: 2, shardID: "s0", routingKey: [0, 0xFF, 0x80, 0x7B]),
            sampleRequestHeader(),
        ]
    )
    func roundTrip(header: RequestHeader) throws {
        let frame = try header.encode()
        #expect(frame.count == 50 + (header.shardID?.utf8.count ?? 0) + (header.routingKey?.count ?? 0))
        #expect(try RequestHeader.decode(frame) == header)
        let viaPointer = try frame.withUnsafeBytes { bytes throws(ProtocolError) in try RequestHeader.decode(bytes) }
        #expect(viaPointer == header)
    }

    @Test("encode(into:) appends")
    func encodeIntoAppends() throws {
        var out: [UInt8] = [0xAA]
        try sampleRequestHeader().encode(into: &out)
        #expect(out == [0xAA] + (try sampleRequestHeader().encode()))
    }

    @Test("empty shard id is sent as no shard")
    func emptyShardID() throws {
        var header = sampleRequestHeader()
        header.shardID = ""
        let frame = try header.encode()
        #expect(frame.count == 50)
        #expect(try RequestHeader.decode(frame).shardID == nil)
    }

    @Test(
        "remaining deadline goes on the wire as whole milliseconds rounded up",
        arguments: [
            (Duration?.none, UInt32(0)),
            (Duration.zero, 1),
            (Duration.milliseconds(-5), 1),
            (Duration.nanoseconds(1), 1),
            (Duration.microseconds(1500), 2),
            (Duration.milliseconds(2), 2),
            (Duration.seconds(3), 3000),
            (Duration.milliseconds(Int64(UInt32.max)), UInt32.max),
            (Duration.milliseconds(Int64(UInt32.max) + 1), UInt32.max),
            (Duration.seconds(Int64.max), UInt32.max),
        ] as [(Duration?, UInt32)]
    )
    func deadlineRounding(deadline: Duration?, milliseconds: UInt32) throws {
        var header = sampleRequestHeader()
        header.remainingDeadline = deadline
        #expect(header.remainingDeadlineMilliseconds == milliseconds)
        let decoded = try RequestHeader.decode(try header.encode())
        #expect(decoded.remainingDeadline == (milliseconds == 0 ? nil : .milliseconds(milliseconds)))
    }

    @Test("shard id over 255 bytes cannot be encoded")
    func shardIDTooLong() {
        var header = sampleRequestHeader()
        header.shardID = String(repeating: "é", count: 128)  // 256 UTF-8 bytes
        var out: [UInt8] = []
        let error = protocolError { () throws(ProtocolError) in try header.encode(into: &out) }
        #expect(error?.code == .shardIDTooLong)
        #expect(error?.requestID == header.requestID)
        #expect(out.isEmpty)
    }

    @Test("client id")
    func clientID() throws {
        #expect(sampleClientID.description == "000102030405060708090a0b0c0d0e0f")
        #expect(sampleClientID.bytes == Array(0...15))
        #expect(ClientID(bytes: Array(0...15)) == sampleClientID)
        #expect(ClientID(bytes: Array(0...14)) == nil)
        #expect(ClientID.random() != ClientID.random())
    }
}

@Suite("Request header: trace context")
struct RequestHeaderTraceContextTests {
    static let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test("golden layout: flag bit 1, then after the key a 2-byte length and name/value fields")
    func goldenLayout() throws {
        var header = sampleRequestHeader()
        header.routingKey = Array("k".utf8)
        let untraced = try header.encode()
        var context = TraceContext()
        context["traceparent"] = Self.traceparent
        context["tracestate"] = "congo=t61rcWkgMzE"
        header.traceContext = context
        var expected = untraced
        expected[46] = 0x03  // keyed and traced
        let fields: [UInt8] = [11] + Array("traceparent".utf8) + [0x00, 55] + Array(Self.traceparent.utf8)
            + [10] + Array("tracestate".utf8) + [0x00, 17] + Array("congo=t61rcWkgMzE".utf8)
        expected += [UInt8(fields.count >> 8), UInt8(truncatingIfNeeded: fields.count)] + fields
        #expect(try header.encode() == expected)
        let decoded = try RequestHeader.decode(expected)
        #expect(decoded == header)
        #expect(decoded.traceContext?["traceparent"] == Self.traceparent)
        #expect(decoded.traceContext?["tracestate"] == "congo=t61rcWkgMzE")
    }

    @Test("no trace context, or an empty one, encodes byte for byte as before")
    func absentIsUnchanged() throws {
        let plain = try sampleRequestHeader().encode()
        var header = sampleRequestHeader()
        header.traceContext = TraceContext()
        #expect(try header.encode() == plain)
        #expect(plain[46] == 0)
        #expect(try RequestHeader.decode(plain).traceContext == nil)
    }

    @Test("fields that would not fit are dropped, never a failed request")
    func limits() throws {
        var context = TraceContext()
        context[""] = "x"
        context[String(repeating: "n", count: 256)] = "x"
        #expect(context.isEmpty)
        context["big"] = String(repeating: "v", count: 65_535 - 6)
        #expect(context["big"] != nil)
        context["more"] = "v"
        #expect(context["more"] == nil)
        // Replacing a value keeps the field's place; removing it frees its bytes.
        context["big"] = nil
        context["a"] = "1"
        context["b"] = "2"
        context["a"] = "3"
        #expect(context.fields.map(\.name) == ["a", "b"])
        var header = sampleRequestHeader()
        header.traceContext = context
        #expect(try RequestHeader.decode(try header.encode()).traceContext == context)
    }
}
