import Corsair
import PropertyBased
import Testing

/// Structured mutations, which random bytes rarely reach: a valid request header with exactly one
/// field corrupted must fail with the error that names that field, and a frame list with empty
/// frames dropped in at random places must split at the first of them, whatever follows.
@Suite("Protocol fuzzing: structured mutations")
struct StructuredFuzzTests {
    /// The fields a corruption can hit, with the error each must give.
    enum Corruption: CaseIterable, Sendable {
        case magic, version, messageType, truncatedFixedPart, shardLengthTooLong, keyLengthTooLong, trailingBytes
        case shardNotUTF8, unknownFlags, keyLengthWithoutFlag, empty
        case traceLengthTooLong, traceFieldOverrun, traceEmptyName, traceNotUTF8, traceRepeatedName, traceEmpty

        var expected: ProtocolError.Code {
            switch self {
            case .magic: return .badMagic
            case .version: return .unsupportedVersion
            case .messageType: return .wrongMessageType
            case .truncatedFixedPart, .shardLengthTooLong, .keyLengthTooLong, .traceLengthTooLong: return .truncatedHeader
            case .trailingBytes, .unknownFlags, .keyLengthWithoutFlag: return .malformedHeader
            case .traceFieldOverrun, .traceEmptyName, .traceRepeatedName, .traceEmpty: return .malformedHeader
            case .shardNotUTF8, .traceNotUTF8: return .invalidText
            case .empty: return .emptyMessage
            }
        }

        /// Applies the corruption; `noise` picks the wrong value, the cut or the extra bytes.
        func apply(to frame: [UInt8], noise: UInt64) -> [UInt8] {
            var frame = frame
            let byte = UInt8(truncatingIfNeeded: noise)
            switch self {
            case .magic:
                let index = Int(noise % 4)
                frame[index] = frame[index] == byte ? byte &+ 1 : byte
            case .version:
                // Neither this version (2) nor version 1, which has an error of its own.
                frame[4] = byte == 1 || byte == 2 ? 3 : byte
            case .messageType:
                frame[5] = byte == 1 ? 0 : byte
            case .truncatedFixedPart:
                frame = Array(frame.prefix(6 + Int(noise % 44)))
            case .shardLengthTooLong:
                let length = Int(frame[47])
                frame[47] = UInt8(min(255, length + 1 + Int(noise % UInt64(255 - length))))
            case .keyLengthTooLong:
                // Keyed, with a key length past the frame's end.
                let length = Int(frame[48]) << 8 | Int(frame[49])
                let longer = min(65535, length + 1 + Int(noise % 1000))
                frame[46] = 1
                frame[48] = UInt8(longer >> 8)
                frame[49] = UInt8(truncatingIfNeeded: longer)
            case .trailingBytes:
                frame += Array(repeating: byte, count: 1 + Int(noise % 7))
            case .shardNotUTF8:
                // A lone continuation byte or a truncated sequence inside the shard id.
                let junk: [UInt8] = noise % 2 == 0 ? [0x80] : [0xE2, 0x82]
                frame = Array(frame.prefix(46)) + [0, UInt8(junk.count), 0, 0] + junk
            case .unknownFlags:
                // Bits 0 (keyed) and 1 (trace context) are defined.
                frame[46] |= byte & 0xFC == 0 ? 0x80 : byte & 0xFC
            case .keyLengthWithoutFlag:
                // Unkeyed, yet a key length: a frame long enough for it, so only the flag is wrong.
                frame = Array(frame.prefix(46)) + [0, 0, 0, 1 + byte % 8] + Array(repeating: 0x61, count: Int(1 + byte % 8))
            case .empty:
                frame = []
            case .traceLengthTooLong:
                // A trace context of one good field, announced as longer than what follows.
                let field = Self.traceField("traceparent", value: Array(repeating: 0x30, count: Int(noise % 60)))
                frame = Self.traced(frame, length: field.count + 1 + Int(noise % 500), fields: field)
            case .traceFieldOverrun:
                // A field whose value length runs past the trace context's stated end.
                var field = Self.traceField("tracestate", value: [0x61, 0x62])
                field[field.count - 3] = 3 + byte % 100
                frame = Self.traced(frame, length: field.count, fields: field)
            case .traceEmptyName:
                let field = Self.traceField("", value: [0x61])
                frame = Self.traced(frame, length: field.count, fields: field)
            case .traceNotUTF8:
                let field = Self.traceField("traceparent", value: noise % 2 == 0 ? [0x80] : [0xE2, 0x82])
                frame = Self.traced(frame, length: field.count, fields: field)
            case .traceRepeatedName:
                let field = Self.traceField("traceparent", value: [0x30 + byte % 10])
                let repeated = field + Self.traceField("traceparent", value: [0x31])
                frame = Self.traced(frame, length: repeated.count, fields: repeated)
            case .traceEmpty:
                frame = Self.traced(frame, length: 0, fields: [])
            }
            return frame
        }

        /// One trace context field as the wire has it: name length, name, value length, value.
        static func traceField(_ name: String, value: [UInt8]) -> [UInt8] {
            [UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.count >> 8), UInt8(truncatingIfNeeded: value.count)] + value
        }

        /// `frame` (which has no trace context) with the trace context flag, `length` and `fields`.
        static func traced(_ frame: [UInt8], length: Int, fields: [UInt8]) -> [UInt8] {
            var frame = frame
            frame[46] |= 0x02
            return frame + [UInt8(length >> 8), UInt8(truncatingIfNeeded: length)] + fields
        }
    }

    static let headers = zip(
        Gen<UInt64>.value(),
        Gen<UInt64>.value(),
        Gen<UInt16>.value(),
        Gen<UInt32>.value(),
        Gen<Character>.letterOrNumber.string(of: 0...40),
        Gen<UInt16>.value(in: 0...4),
        Gen<UInt8>.value().array(of: 0...20).optional()
    ).map { fields in
        RequestHeader(
            clientID: ClientID(high: fields.0, low: fields.0 ^ 0x5555),
            requestID: fields.1,
            attempt: fields.2,
            remainingDeadline: fields.3 == 0 ? nil : .milliseconds(fields.3),
            shardID: fields.4.isEmpty ? nil : fields.4,
            routingKey: fields.6,
            bodyFrameCount: fields.5
        )
    }

    @Test("a valid header with one field corrupted fails with that field's error, and keeps the request id when it can")
    func oneFieldCorrupted() async {
        await propertyCheck(count: 800, input: Self.headers, Gen<Corruption>.case, Gen<UInt64>.value()) { header, corruption, noise in
            let frame = corruption.apply(to: try header.encode(), noise: noise)
            let error = protocolError { () throws(ProtocolError) in _ = try RequestHeader.decode(frame) }
            #expect(error?.code == corruption.expected, "\(corruption): \(String(describing: error))")
            // A frame cut before the request id cannot name it; any other that got past the
            // preamble checks must, so the server can answer "bad request" to the right request.
            if let error, frame.count >= 32, [.truncatedHeader, .malformedHeader, .invalidText].contains(error.code) {
                #expect(error.requestID == header.requestID, "\(corruption)")
            }
            // The server classifies the same frame as malformed and answers it only when it has the id.
            switch IncomingRequest.parse(frames: [[7], [], frame]) {
            case .malformed(let envelope, let requestID, _):
                #expect(envelope == [[7], []])
                #expect(requestID == nil || requestID == header.requestID)
            case .raw:
                // Only frames that no longer start with the magic go through as raw requests.
                #expect(!Frame.isCorsairHeader(frame), "\(corruption)")
            case .corsair:
                Issue.record("a corrupted header was accepted: \(corruption)")
            }
        }
    }

    /// A frame list: routing ids, the delimiter, a header and its body, then empty frames inserted.
    static let frameLists = zip(
        Self.headers,
        Gen<UInt8>.value().array(of: 1...8).array(of: 1...3),
        Gen<Int>.int(in: 0...20).array(of: 0...4)
    )

    @Test("frame lists with empty frames at random places split at the first one and never trap")
    func randomDelimiters() async {
        await propertyCheck(count: 600, input: Self.frameLists) { header, routingIDs, insertions in
            let body = (0..<Int(header.bodyFrameCount)).map { [UInt8(truncatingIfNeeded: $0 + 1)] }
            var frames: [[UInt8]] = routingIDs + [[]] + [try header.encode()] + body
            for position in insertions {
                frames.insert([], at: position % (frames.count + 1))
            }
            let firstEmpty = frames.firstIndex(of: [])
            switch IncomingRequest.parse(frames: frames) {
            case .corsair(let envelope, let parsed, let parsedBody):
                #expect(envelope.count == (firstEmpty ?? -1) + 1)
                #expect(parsed == header)
                #expect(parsedBody.count == Int(header.bodyFrameCount))
                // Accepted only when no insertion disturbed the content after the envelope.
                #expect(parsedBody == body)
            case .raw(let envelope, let rawBody):
                #expect(envelope.count == (firstEmpty ?? -1) + 1)
                #expect(!rawBody.isEmpty && !Frame.isCorsairHeader(rawBody[0]))
            case .malformed(let envelope, _, _):
                if let envelope {
                    #expect(envelope.count == (firstEmpty ?? -1) + 1)
                } else {
                    #expect(firstEmpty == nil)
                }
            }
        }
    }
}
