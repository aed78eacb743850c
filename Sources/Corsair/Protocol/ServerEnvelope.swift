/// Builds the frames a server sends back on its ROUTER socket.
public enum ServerEnvelope {
    /// A Corsair reply: the envelope the request came with, the header, then the body frames.
    ///
    /// The header's body frame count is set from `body`, whatever it was.
    ///
    /// ```swift
    /// let frames = try ServerEnvelope.reply(
    ///     envelope: envelope,
    ///     header: ReplyHeader(status: .ok, requestID: header.requestID, epoch: epoch),
    ///     body: answer
    /// )
    /// ```
    ///
    /// - Throws: ``ProtocolError/Code/tooManyFrames`` for more than 65,535 body frames.
    public static func reply(
        envelope: [[UInt8]],
        header: ReplyHeader,
        body: [[UInt8]]
    ) throws(ProtocolError) -> [[UInt8]] {
        guard body.count <= WireFormat.maxBodyFrameCount else {
            throw ProtocolError(
                code: .tooManyFrames,
                message: "reply has \(body.count) body frames; at most \(WireFormat.maxBodyFrameCount) fit",
                requestID: header.requestID
            )
        }
        var header = header
        header.bodyFrameCount = UInt16(truncatingIfNeeded: body.count)
        var frames: [[UInt8]] = []
        frames.reserveCapacity(envelope.count + 1 + body.count)
        frames.append(contentsOf: envelope)
        frames.append(header.encode())
        frames.append(contentsOf: body)
        return frames
    }

    /// A raw reply: the envelope the request came with, then the body frames as they are.
    public static func rawReply(envelope: [[UInt8]], body: [[UInt8]]) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        frames.reserveCapacity(envelope.count + body.count)
        frames.append(contentsOf: envelope)
        frames.append(contentsOf: body)
        return frames
    }
}
