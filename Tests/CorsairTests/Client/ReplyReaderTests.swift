@testable import Corsair
import Testing
import ZeroMQ

/// The engine's reply reader on real sockets: a PAIR over inproc stands in for the REQ socket or
/// DEALER connection, and a bad message is always followed by a good one, which must read whole.
@Suite("Reply reader")
struct ReplyReaderTests {
    let context: Context
    let server: Socket
    let client: Socket
    let reader = ReplyReader()

    init() throws {
        self.context = try Context()
        self.server = try Socket(self.context, .pair)
        let endpoint = "inproc://reply-reader-\(UInt64.random(in: 0...UInt64.max))"
        try self.server.bind(endpoint)
        self.client = try Socket(self.context, .pair)
        try self.client.connect(endpoint)
    }

    func send(_ frames: [[UInt8]]) throws {
        try self.server.send(multipart: frames)
    }

    /// Reads one message once it has arrived (within a generous bound).
    func read(delimited: Bool, raw: Bool = false) throws -> ReplyReader.Read {
        var poller = Poller()
        _ = poller.add(self.client, events: .readable)
        _ = try poller.poll(timeout: .seconds(10))
        return try self.reader.read(from: self.client, delimited: delimited, raw: raw)
    }

    func header(_ requestID: RequestID, frames: UInt16) -> [UInt8] {
        ReplyHeader(status: .ok, requestID: requestID, epoch: 9, bodyFrameCount: frames).encode()
    }

    /// Expects a well-formed reply with the given request id and body.
    func expectReply(_ read: ReplyReader.Read, _ requestID: RequestID, _ body: [[UInt8]]) {
        guard case .reply(let header, let frames) = read else {
            Issue.record("expected a reply, read \(read)")
            return
        }
        #expect(header.requestID == requestID)
        #expect(header.epoch == 9)
        #expect(frames == body)
    }

    @Test("a delimited reply: header read in place, body frames copied")
    func delimited() throws {
        try self.send([[], self.header(7, frames: 2), [1, 2, 3], []])
        self.expectReply(try self.read(delimited: true), 7, [[1, 2, 3], []])
    }

    @Test("a reply without the delimiter, or with nothing after it, is undelimited and read to its end")
    func undelimited() throws {
        try self.send([self.header(1, frames: 0)])
        guard case .undelimited = try self.read(delimited: true) else { Issue.record("expected undelimited"); return }
        try self.send([[1], self.header(2, frames: 0), [5]])
        guard case .undelimited = try self.read(delimited: true) else { Issue.record("expected undelimited"); return }
        try self.send([[]])
        guard case .undelimited = try self.read(delimited: true) else { Issue.record("expected undelimited"); return }
        try self.send([[], self.header(3, frames: 1), [4]])
        self.expectReply(try self.read(delimited: true), 3, [[4]])
    }

    @Test("a header that does not decode, or a body count that does not match, is malformed and read to its end")
    func malformed() throws {
        try self.send([[0xFF, 0, 1], [1], [2]])
        guard case .malformed = try self.read(delimited: false) else { Issue.record("expected malformed"); return }
        try self.send([self.header(4, frames: 2), [1]])
        guard case .malformed(let missing) = try self.read(delimited: false) else { Issue.record("expected malformed"); return }
        #expect(missing.code == .missingFrames)
        try self.send([[], self.header(5, frames: 0), [1]])
        guard case .malformed(let extra) = try self.read(delimited: true) else { Issue.record("expected malformed"); return }
        #expect(extra.code == .extraFrames)
        #expect(extra.requestID == 5)
        try self.send([self.header(6, frames: 1), [8, 9]])
        self.expectReply(try self.read(delimited: false), 6, [[8, 9]])
    }

    @Test("a raw reply is every frame as body; nothing waiting throws wouldBlock")
    func raw() throws {
        #expect(throws: ZMQError.self) { try self.reader.read(from: self.client, delimited: false, raw: true) }
        try self.send([[1], [], [2, 3]])
        guard case .raw(let body) = try self.read(delimited: false, raw: true) else { Issue.record("expected raw"); return }
        #expect(body == [[1], [], [2, 3]])
    }
}
