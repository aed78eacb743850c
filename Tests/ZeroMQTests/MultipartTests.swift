import Testing
import ZeroMQ

/// Multipart messages, empty frames included, go through every pattern on every transport intact.
@Suite("Multipart round trips")
struct MultipartTests {
    /// Frames that exercise the edges: empty frames first, in the middle and last, and a larger one.
    static let frames: [[UInt8]] = [[], [0x01], [], Array(repeating: 0xFF, count: 1000), Array("corsair".utf8), []]

    static let bound: Duration = .seconds(5)

    @Test("REQ/REP", arguments: Transport.allCases)
    func requestReply(transport: Transport) throws {
        let context = try Context()
        let server = try Socket(context, .rep)
        let endpoint = try bindFresh(server, transport)
        defer { removeIPCFile(endpoint) }
        let client = try Socket(context, .req)
        try client.connect(endpoint)

        try client.send(multipart: Self.frames)
        let request = try #require(try receiveMultipart(server, timeout: Self.bound))
        #expect(request == Self.frames)

        let reply = Self.frames.reversed().map { $0 }
        try server.send(multipart: reply)
        #expect(try receiveMultipart(client, timeout: Self.bound) == reply)

        // A message of one empty frame is a message too.
        try client.send(multipart: [[]])
        #expect(try receiveMultipart(server, timeout: Self.bound) == [[]])
        try server.send(multipart: [[]])
        #expect(try receiveMultipart(client, timeout: Self.bound) == [[]])
    }

    @Test("DEALER/ROUTER", arguments: Transport.allCases)
    func dealerRouter(transport: Transport) throws {
        let context = try Context()
        let server = try Socket(context, .router)
        let endpoint = try bindFresh(server, transport)
        defer { removeIPCFile(endpoint) }
        let client = try Socket(context, .dealer)
        let identity: [UInt8] = Array("client-7".utf8)
        try client.set(.routingID, to: identity)
        try client.connect(endpoint)

        try client.send(multipart: Self.frames)
        let request = try #require(try receiveMultipart(server, timeout: Self.bound))
        #expect(request == [identity] + Self.frames)

        // The ROUTER addresses the reply by the routing id it was given.
        try server.send(multipart: [identity] + Self.frames)
        #expect(try receiveMultipart(client, timeout: Self.bound) == Self.frames)
    }

    @Test("PAIR", arguments: Transport.allCases)
    func pair(transport: Transport) throws {
        let context = try Context()
        let left = try Socket(context, .pair)
        let endpoint = try bindFresh(left, transport)
        defer { removeIPCFile(endpoint) }
        let right = try Socket(context, .pair)
        try right.connect(endpoint)

        try right.send(multipart: Self.frames)
        #expect(try receiveMultipart(left, timeout: Self.bound) == Self.frames)
        try left.send(multipart: Self.frames)
        #expect(try receiveMultipart(right, timeout: Self.bound) == Self.frames)
    }

    @Test("receiving as Messages keeps the frame boundaries and the more flags")
    func messagesAndMoreFlags() throws {
        let context = try Context()
        let left = try Socket(context, .pair)
        let endpoint = try bindFresh(left, .inproc)
        let right = try Socket(context, .pair)
        try right.connect(endpoint)

        try right.send([1, 2], more: true)
        try right.send(try Message([]), more: true)
        try right.send([3])
        var poller = Poller()
        poller.add(left, events: .readable)
        #expect(try poller.poll(timeout: Self.bound) == 1)
        let messages = try left.receiveMultipartMessages()
        #expect(messages.map(\.bytes) == [[1, 2], [], [3]])
        #expect(messages.map(\.hasMore) == [true, true, false])
        #expect(messages.map(\.count) == [2, 0, 1])
    }
}
