import Corsair
import PropertyBased
import Testing

/// Property-based tests: the decoders never trap and either read a header or throw a typed error,
/// and encoding then decoding a valid header gives it back. Counts are bounded to keep the suite fast.
@Suite("Protocol fuzzing")
struct ProtocolFuzzTests {
    static let requestHeaders = zip(
        Gen<UInt64>.value(),
        Gen<UInt64>.value(),
        Gen<UInt64>.value(),
        Gen<UInt16>.value(),
        Gen<UInt32>.value(),
        Gen<UInt64>.value(),
        Gen<Character>.latin1.string(of: 1...60).optional(),
        Gen<UInt16>.value(),
        Gen<UInt8>.value().array(of: 0...40).optional()
    ).map { fields in
        RequestHeader(
            clientID: ClientID(high: fields.0, low: fields.1),
            requestID: fields.2,
            attempt: fields.3,
            remainingDeadline: fields.4 == 0 ? nil : .milliseconds(fields.4),
            epoch: fields.5,
            shardID: fields.6,
            routingKey: fields.8,
            bodyFrameCount: fields.7
        )
    }

    /// Trace contexts of up to three fields, or none.
    static let traceContexts = zip(
        Gen<Character>.letterOrNumber.string(of: 1...12),
        Gen<Character>.latin1.string(of: 0...60)
    ).array(of: 0...3).map { fields -> TraceContext? in
        var context = TraceContext()
        for (name, value) in fields {
            context[name] = value
        }
        return context.isEmpty ? nil : context
    }

    /// Request headers, some with a trace context.
    static let tracedRequestHeaders = zip(Self.requestHeaders, Self.traceContexts).map { header, context in
        var header = header
        header.traceContext = context
        return header
    }

    static let replyHeaders = zip(
        Gen<ReplyStatus>.case,
        Gen<UInt64>.value(),
        Gen<UInt64>.value(),
        Gen<UInt32>.value(),
        Gen<Character>.latin1.string(of: 0...80),
        Gen<UInt16>.value()
    ).map { fields in
        ReplyHeader(
            status: fields.0,
            requestID: fields.1,
            epoch: fields.2,
            retryAfter: .milliseconds(fields.3),
            detail: fields.4,
            bodyFrameCount: fields.5
        )
    }

    /// Random frames, half of them starting with a valid-looking preamble so that decoding gets past
    /// the first checks.
    static let frames = zip(
        Gen<UInt8>.value(in: 0...3),
        Gen<UInt8>.value().array(of: 0...90)
    ).map { prefixKind, tail -> [UInt8] in
        switch prefixKind {
        case 0: return tail
        case 1: return [0x43, 0x52, 0x53, 0x52] + tail
        case 2: return [0x43, 0x52, 0x53, 0x52, 0x02, 0x01] + tail
        default: return [0x43, 0x52, 0x53, 0x52, 0x02, 0x02] + tail
        }
    }

    /// A mutation of a valid frame: kind, position and byte are reduced modulo the frame when applied.
    static let mutations = zip(Gen<UInt8>.value(in: 0...4), Gen<Int>.int(in: 0...1000), Gen<UInt8>.value()).array(of: 1...4)

    static func mutate(_ frame: [UInt8], with mutations: [(UInt8, Int, UInt8)]) -> [UInt8] {
        var frame = frame
        for (kind, position, byte) in mutations {
            let index = frame.isEmpty ? 0 : position % frame.count
            switch kind {
            case 0 where !frame.isEmpty: frame[index] = byte
            case 1 where !frame.isEmpty: frame[index] ^= 1 << (byte % 8)
            case 2: frame.insert(byte, at: frame.isEmpty ? 0 : position % (frame.count + 1))
            case 3 where !frame.isEmpty: frame.remove(at: index)
            default: frame = Array(frame.prefix(position % (frame.count + 1)))
            }
        }
        return frame
    }

    /// Decodes `frame` both ways and checks that a frame that decodes re-encodes to the same bytes.
    static func checkDecoders(_ frame: [UInt8]) {
        do {
            let header = try RequestHeader.decode(frame)
            #expect(try header.encode() == frame)
        } catch {
            #expect(!Frame.isCorsairHeader(frame) || error.code != .badMagic)
        }
        do {
            let header = try ReplyHeader.decode(frame)
            var canonical = frame
            canonical[9] = 0  // the reserved byte is ignored when read and written as 0
            #expect(header.encode() == canonical)
        } catch {
            #expect(!Frame.isCorsairHeader(frame) || error.code != .badMagic)
        }
        _ = IncomingRequest.parse(frames: [[1], [], frame, frame])
        _ = protocolError { () throws(ProtocolError) in _ = try ReplyMessage.decode(frames: [frame]) }
    }

    @Test("request headers round trip")
    func requestRoundTrip() async {
        await propertyCheck(count: 300, input: Self.tracedRequestHeaders) { header in
            let frame = try header.encode()
            #expect(try RequestHeader.decode(frame) == header)
        }
    }

    @Test("reply headers round trip")
    func replyRoundTrip() async {
        await propertyCheck(count: 300, input: Self.replyHeaders) { (header: ReplyHeader) throws in
            #expect(try ReplyHeader.decode(header.encode()) == header)
        }
    }

    @Test("random frames never trap the decoders")
    func randomFrames() async {
        await propertyCheck(count: 1000, input: Self.frames) { frame in
            Self.checkDecoders(frame)
        }
    }

    @Test("mutated request headers never trap the decoders")
    func mutatedRequests() async {
        await propertyCheck(count: 500, input: Self.tracedRequestHeaders, Self.mutations) { header, mutations in
            Self.checkDecoders(Self.mutate(try header.encode(), with: mutations))
        }
    }

    @Test("mutated reply headers never trap the decoders")
    func mutatedReplies() async {
        await propertyCheck(count: 500, input: Self.replyHeaders, Self.mutations) { header, mutations in
            Self.checkDecoders(Self.mutate(header.encode(), with: mutations))
        }
    }

    @Test("random frame lists never trap the server parser")
    func randomFrameLists() async {
        await propertyCheck(count: 300, input: Self.frames.array(of: 0...6)) { frames in
            switch IncomingRequest.parse(frames: frames) {
            case .corsair(let envelope, let header, let body):
                #expect(envelope.last == [])
                #expect(Int(header.bodyFrameCount) == body.count)
            case .raw(let envelope, let body):
                #expect(envelope.last == [])
                #expect(!body.isEmpty)
            case .malformed(let envelope, _, _):
                #expect(envelope?.last == [] || envelope == nil)
            }
        }
    }
}
