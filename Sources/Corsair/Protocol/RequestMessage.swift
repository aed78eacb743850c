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

    /// The header frame of a request whose routing key is `key` (whatever `header.routingKey` holds),
    /// sized once. (The client engine appends each send's header to a buffer it reuses instead,
    /// through the same encoder, `RequestHeader.encode(into:key:)`.)
    ///
    /// Taking the key as a byte collection lets a caller pass a `String` key's UTF-8 view, so the
    /// key is copied only into the frame.
    /// - Throws: ``ProtocolError/Code/shardIDTooLong`` or ``ProtocolError/Code/routingKeyTooLong``.
    public static func headerFrame<Key: Collection<UInt8>>(_ header: RequestHeader, key: Key?) throws(ProtocolError) -> [UInt8] {
        var frame: [UInt8] = []
        frame.reserveCapacity(RequestHeader.fixedSize + (header.shardID?.utf8.count ?? 0) + (key?.count ?? 0))
        try header.encode(into: &frame, key: key)
        return frame
    }
}
