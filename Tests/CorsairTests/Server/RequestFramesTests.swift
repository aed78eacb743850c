@testable import Corsair
import PropertyBased
import Testing
import ZeroMQ

/// The server reads each request frame by frame out of one reused message; it must classify every
/// frame list exactly as the protocol's parser does with the frames in hand.
@Suite("Server: requests read frame by frame")
struct RequestFramesTests {
    /// Reads `frames` the way the server's loop does: each through the same reused message.
    func read(_ frames: [[UInt8]]) throws -> IncomingRequest {
        var reader = RequestFrames()
        for frame in frames {
            reader.add(try Message(frame))
        }
        #expect(reader.count == frames.count)
        return reader.request
    }

    static let header = RequestHeader(clientID: ClientID(high: 1, low: 2), requestID: 77, routingKey: [0x6B], bodyFrameCount: 2)

    @Test("the usual shapes: a Corsair request, a raw one, a multi-hop envelope, a short body, no delimiter, nothing after it")
    func shapes() throws {
        let header = try Self.header.encode()
        let cases: [[[UInt8]]] = [
            [[0, 1, 2, 3, 4], [], header, [1], [2]],
            [[9], [8], [], header, [1], []],
            [[0, 1], [], Array("GET key".utf8)],
            [[0, 1], [], header, [1]],
            [[0, 1], [], header, [1], [2], [3]],
            [[0, 1], [], Array(header.prefix(20))],
            [[0, 1], Array("no delimiter".utf8)],
            [[0, 1], []],
            [[]],
        ]
        for frames in cases {
            #expect(try self.read(frames) == IncomingRequest.parse(frames: frames))
        }
        guard case .corsair(let envelope, let decoded, let body) = try self.read(cases[0]) else {
            Issue.record("not read as a Corsair request")
            return
        }
        #expect(envelope == [[0, 1, 2, 3, 4], []])
        #expect(decoded == Self.header)
        #expect(body == [[1], [2]])
    }

    @Test("property: any frame list of ids, delimiters, headers (whole or cut) and bytes reads as the parser reads it")
    func matchesParser() async throws {
        // Headers announcing 0 to 3 body frames.
        let headers = try (0...3).map { count in
            var header = Self.header
            header.bodyFrameCount = UInt16(count)
            return try header.encode()
        }
        // Each frame: its kind and the bytes that shape it.
        let frames = zip(Gen.int(in: 0...4), Gen<UInt8>.value().array(of: 0...12), Gen.int(in: 0...3)).array(of: 0...7)
        await propertyCheck(count: 300, input: frames) { pieces in
            let list: [[UInt8]] = pieces.map { kind, bytes, bodyCount in
                switch kind {
                case 0: return []
                case 1: return headers[bodyCount]
                case 2: return Array(headers[bodyCount].prefix(6 + bytes.count))
                default: return bytes
                }
            }
            #expect((try? self.read(list)) == IncomingRequest.parse(frames: list))
        }
    }
}
