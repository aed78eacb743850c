/// Reads the frames a client receives for one request.
public enum ReplyMessage {
    /// Splits a reply, as a REQ socket receives it, into its header and body.
    ///
    /// The caller still has to compare the header's request id with the one in flight and drop a
    /// stale reply.
    ///
    /// ```swift
    /// let (header, body) = try ReplyMessage.decode(frames: frames)
    /// guard header.requestID == inFlight else { return .stale }
    /// ```
    ///
    /// - Throws: ``ProtocolError/Code/emptyMessage`` for no frames; any error of
    ///   `ReplyHeader.decode(_:)`; ``ProtocolError/Code/missingFrames`` or
    ///   ``ProtocolError/Code/extraFrames`` when the body does not have as many frames as the header says.
    public static func decode(frames: [[UInt8]]) throws(ProtocolError) -> (header: ReplyHeader, body: [[UInt8]]) {
        guard let first = frames.first else {
            throw ProtocolError(code: .emptyMessage, message: "reply has no frames")
        }
        let header = try ReplyHeader.decode(first)
        try WireFormat.checkBodyCount(
            declared: header.bodyFrameCount,
            actual: frames.count - 1,
            what: "reply",
            requestID: header.requestID
        )
        return (header, Array(frames.dropFirst()))
    }
}
