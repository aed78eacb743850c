/// Builds the frames a client sends for one request.
public enum RequestMessage {
    /// The frames of a request: the header, then the body frames.
    ///
    /// The header's body frame count is set from `body`, whatever it was.
    ///
    /// ```swift
    /// let frames = try RequestMessage.encode(header: header, body: [payload])
    /// ```
    ///
    /// - Throws: ``ProtocolError/Code/tooManyFrames`` for more than 65,535 body frames;
    ///   ``ProtocolError/Code/shardIDTooLong`` for a shard id over 255 UTF-8 bytes.
    public static func encode(header: RequestHeader, body: [[UInt8]]) throws(ProtocolError) -> [[UInt8]] {
        try RequestHeader.checkLimits(shardIDLength: 0, keyLength: 0, bodyFrameCount: body.count, requestID: header.requestID)
        var header = header
        header.bodyFrameCount = UInt16(truncatingIfNeeded: body.count)
        var frames: [[UInt8]] = []
        frames.reserveCapacity(body.count + 1)
        frames.append(try header.encode())
        frames.append(contentsOf: body)
        return frames
    }
}
