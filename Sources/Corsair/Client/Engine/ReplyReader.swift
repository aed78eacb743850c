import ZeroMQ

/// Reads one reply off a client socket, frame by frame into one reused message.
///
/// The delimiter and the header are read where libzmq holds them; only the body frames are
/// copied, once each, into the arrays the caller receives. Reading every frame into an array first
/// cost an allocation and a copy per frame, and more to split the header from the body.
struct ReplyReader {
    /// A reply as read.
    enum Read {
        /// A raw reply: every frame is body.
        case raw(body: [[UInt8]])
        /// A Corsair reply, header and body frames checked against each other.
        case reply(ReplyHeader, body: [[UInt8]])
        /// A header that could not be read, or one announcing another number of body frames.
        case malformed(ProtocolError)
        /// A DEALER reply without the empty delimiter frame, or with nothing after it.
        case undelimited
    }

    /// The frame being read; holds the last frame read until the next read replaces it.
    private let frame = Message()

    /// Reads every frame of one message, without waiting for the first.
    /// - Parameters:
    ///   - socket: The socket, readable.
    ///   - delimited: The message starts with the empty delimiter frame (a DEALER connection).
    ///   - raw: The frames after any delimiter are all body, with no Corsair header.
    /// - Throws: ``ZMQError/Code/wouldBlock`` when no message is waiting, or what libzmq reports.
    func read(from socket: Socket, delimited: Bool, raw: Bool) throws(ZMQError) -> Read {
        try socket.receive(into: self.frame, dontWait: true)
        if delimited {
            guard self.frame.count == 0, self.frame.hasMore else {
                try self.skipRest(of: socket)
                return .undelimited
            }
            // The rest of a multipart message arrives with its first frame, so this never blocks.
            try socket.receive(into: self.frame)
        }
        if raw {
            var body = [self.frame.bytes]
            while self.frame.hasMore {
                try socket.receive(into: self.frame)
                body.append(self.frame.bytes)
            }
            return .raw(body: body)
        }
        let header: ReplyHeader
        do {
            header = try self.frame.withUnsafeBytes { bytes throws(ProtocolError) in try ReplyHeader.decode(bytes) }
        } catch {
            try self.skipRest(of: socket)
            return .malformed(error)
        }
        var body: [[UInt8]] = []
        body.reserveCapacity(Int(header.bodyFrameCount))
        while self.frame.hasMore {
            try socket.receive(into: self.frame)
            body.append(self.frame.bytes)
        }
        do {
            try WireFormat.checkBodyCount(declared: header.bodyFrameCount, actual: body.count, what: "reply", requestID: header.requestID)
        } catch {
            return .malformed(error)
        }
        return .reply(header, body: body)
    }

    /// Receives and drops the frames left of the message being read.
    private func skipRest(of socket: Socket) throws(ZMQError) {
        while self.frame.hasMore {
            try socket.receive(into: self.frame)
        }
    }
}
