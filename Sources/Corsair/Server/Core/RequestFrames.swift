import ZeroMQ

/// One request read off the ROUTER frame by frame, as the server's I/O thread receives it.
///
/// Each frame arrives in the loop's one reused `Message` and is sorted as it comes: envelope frames
/// up to the empty delimiter, then the header, decoded in place from libzmq's bytes (never copied
/// into an array), then the body. So a request costs no list of every frame, and no copies of its
/// envelope and body sliced out of that list. ``request`` gives what
/// ``IncomingRequest/parse(frames:)`` gives for the same frames; the cases that cannot be answered
/// as a Corsair or raw request are left to that parser, which words their errors.
struct RequestFrames {
    private enum Stage {
        /// Before the empty delimiter: every frame is part of the envelope.
        case envelope
        /// Right after the delimiter: the next frame says whether this is a Corsair request.
        case first
        /// After a Corsair header: what decoding it gave.
        case corsairBody(Result<RequestHeader, ProtocolError>)
        /// The first content frame was not a Corsair header: every content frame is the body.
        case rawBody
    }

    private var stage = Stage.envelope
    /// Every frame up to and including the delimiter; every frame, if there is none.
    private var envelope: [[UInt8]] = []
    private var body: [[UInt8]] = []
    /// The frames added.
    private(set) var count = 0

    init() {
        // Routing id and delimiter: a direct peer's envelope, at once.
        self.envelope.reserveCapacity(2)
    }

    /// Takes the frame `message` holds now, in the order received.
    mutating func add(_ message: Message) {
        self.count += 1
        switch self.stage {
        case .envelope:
            if message.count == 0 {
                self.envelope.append([])
                self.stage = .first
            } else {
                self.envelope.append(message.bytes)
            }
        case .first:
            let isHeader = message.withUnsafeBytes { Frame.isCorsairHeader($0) }
            if isHeader {
                self.stage = .corsairBody(
                    message.withUnsafeBytes { bytes in Result { () throws(ProtocolError) in try RequestHeader.decode(bytes) } }
                )
            } else {
                self.body.append(message.bytes)
                self.stage = .rawBody
            }
        case .corsairBody, .rawBody:
            self.body.append(message.bytes)
        }
    }

    /// The frames read, classified as ``IncomingRequest/parse(frames:)`` classifies them.
    var request: IncomingRequest {
        switch self.stage {
        case .envelope, .first:
            // No delimiter, or nothing after it: `envelope` holds every frame.
            return IncomingRequest.parse(frames: self.envelope)
        case .rawBody:
            return .raw(envelope: self.envelope, body: self.body)
        case .corsairBody(let decoded):
            do {
                let header = try decoded.get()
                try WireFormat.checkBodyCount(
                    declared: header.bodyFrameCount,
                    actual: self.body.count,
                    what: "request",
                    requestID: header.requestID
                )
                return .corsair(envelope: self.envelope, header: header, body: self.body)
            } catch {
                return .malformed(envelope: self.envelope, requestID: error.requestID, error: error)
            }
        }
    }
}
