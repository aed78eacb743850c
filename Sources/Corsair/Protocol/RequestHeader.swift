/// The first frame of every Corsair request: who sends it, which attempt it is and where it should go.
///
/// The layout is fixed by protocol version 1 (47 bytes plus the shard id); see docs/PROTOCOL.md.
///
/// ```swift
/// var header = RequestHeader(clientID: id, requestID: 7, remainingDeadline: .seconds(2), shardID: "users-3")
/// let frame = try header.encode()
/// let decoded = try RequestHeader.decode(frame)
/// ```
public struct RequestHeader: Hashable, Sendable {
    /// The sending client engine's identity.
    public var clientID: ClientID
    /// The per-client sequence number; the same across every attempt of one request.
    public var requestID: RequestID
    /// Which attempt this is, starting at 1.
    public var attempt: UInt16
    /// How long the client will still wait for the reply, or `nil` for no deadline.
    ///
    /// Sent as whole milliseconds, rounded up and capped at `UInt32.max` ms (about 49.7 days). A zero or
    /// negative duration is sent as 1 ms, because 0 on the wire means "no deadline": the server then sees
    /// a deadline that has all but passed, which is the truth.
    public var remainingDeadline: Duration?
    /// The epoch of the client's shard map, or 0 when it has none.
    public var epoch: UInt64
    /// The shard the client believes the request belongs to, or `nil` for none.
    ///
    /// At most 255 UTF-8 bytes; ``encode()`` throws ``ProtocolError/Code/shardIDTooLong`` otherwise. An
    /// empty string is sent as "no shard" and decodes as `nil`.
    public var shardID: String?
    /// How many body frames follow this header.
    ///
    /// ``RequestMessage/encode(header:body:)`` sets this from the body it is given.
    public var bodyFrameCount: UInt16

    /// A request header. The defaults describe a first attempt with no deadline, no shard map and no body.
    public init(
        clientID: ClientID,
        requestID: RequestID,
        attempt: UInt16 = 1,
        remainingDeadline: Duration? = nil,
        epoch: UInt64 = 0,
        shardID: String? = nil,
        bodyFrameCount: UInt16 = 0
    ) {
        self.clientID = clientID
        self.requestID = requestID
        self.attempt = attempt
        self.remainingDeadline = remainingDeadline
        self.epoch = epoch
        self.shardID = shardID
        self.bodyFrameCount = bodyFrameCount
    }

    /// The remaining deadline as it goes on the wire: whole milliseconds, 0 for none.
    public var remainingDeadlineMilliseconds: UInt32 {
        guard let deadline = self.remainingDeadline else { return 0 }
        return max(1, WireFormat.milliseconds(roundingUp: deadline))
    }

    /// The header as one frame.
    ///
    /// - Throws: ``ProtocolError/Code/shardIDTooLong`` when the shard id is over 255 UTF-8 bytes.
    public func encode() throws(ProtocolError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(WireFormat.requestFixedSize + (self.shardID?.utf8.count ?? 0))
        try self.encode(into: &out)
        return out
    }

    /// Appends the header's bytes to `out`.
    ///
    /// - Throws: ``ProtocolError/Code/shardIDTooLong`` when the shard id is over 255 UTF-8 bytes; `out`
    ///   is then left unchanged.
    public func encode(into out: inout [UInt8]) throws(ProtocolError) {
        let shardLength = self.shardID?.utf8.count ?? 0
        guard shardLength <= WireFormat.maxShardIDLength else {
            throw ProtocolError(
                code: .shardIDTooLong,
                message: "shard id is \(shardLength) UTF-8 bytes; at most \(WireFormat.maxShardIDLength) fit",
                requestID: self.requestID
            )
        }
        WireFormat.appendPreamble(type: WireFormat.requestType, to: &out)
        out.appendBigEndian(self.bodyFrameCount)
        out.appendBigEndian(self.clientID.high)
        out.appendBigEndian(self.clientID.low)
        out.appendBigEndian(self.requestID)
        out.appendBigEndian(self.attempt)
        out.appendBigEndian(self.remainingDeadlineMilliseconds)
        out.appendBigEndian(self.epoch)
        out.append(UInt8(truncatingIfNeeded: shardLength))
        if let shardID = self.shardID, shardLength > 0 {
            out.append(contentsOf: shardID.utf8)
        }
    }

    /// Reads a request header frame.
    ///
    /// Never traps, whatever the bytes.
    ///
    /// - Throws: ``ProtocolError`` with `emptyMessage`, `badMagic`, `unsupportedVersion`,
    ///   `wrongMessageType`, `truncatedHeader`, `malformedHeader` or `invalidText`; the error carries the
    ///   request id when the frame was long enough to read it.
    public static func decode(_ frame: [UInt8]) throws(ProtocolError) -> RequestHeader {
        let result: Result<RequestHeader, ProtocolError> = frame.withUnsafeBytes { bytes in
            Result { () throws(ProtocolError) in try Self.decode(bytes) }
        }
        return try result.get()
    }

    /// Reads a request header from raw bytes, such as a received message's data, without copying them.
    ///
    /// Never traps, whatever the bytes. Throws the same errors as the array overload.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(ProtocolError) -> RequestHeader {
        try WireFormat.checkPreamble(bytes, expectedType: WireFormat.requestType, what: "request header")
        let requestID: RequestID? = bytes.count >= 32 ? bytes.readBigEndian(at: 24, as: UInt64.self) : nil
        guard bytes.count >= WireFormat.requestFixedSize else {
            throw ProtocolError(
                code: .truncatedHeader,
                message: "request header has \(bytes.count) bytes, fewer than the fixed \(WireFormat.requestFixedSize)",
                requestID: requestID
            )
        }
        let shardLength = Int(bytes[46])
        let expected = WireFormat.requestFixedSize + shardLength
        guard bytes.count >= expected else {
            throw ProtocolError(
                code: .truncatedHeader,
                message: "request header has \(bytes.count) bytes; its shard id length says \(expected)",
                requestID: requestID
            )
        }
        guard bytes.count == expected else {
            throw ProtocolError(
                code: .malformedHeader,
                message: "request header has \(bytes.count - expected) bytes after its \(expected)",
                requestID: requestID
            )
        }
        var shardID: String?
        if shardLength > 0 {
            let text = UnsafeRawBufferPointer(rebasing: bytes[WireFormat.requestFixedSize..<expected])
            guard let string = String(validating: text, as: UTF8.self) else {
                throw ProtocolError(code: .invalidText, message: "shard id is not valid UTF-8", requestID: requestID)
            }
            shardID = string
        }
        let deadline = bytes.readBigEndian(at: 34, as: UInt32.self)
        return RequestHeader(
            clientID: ClientID(
                high: bytes.readBigEndian(at: 8, as: UInt64.self),
                low: bytes.readBigEndian(at: 16, as: UInt64.self)
            ),
            requestID: bytes.readBigEndian(at: 24, as: UInt64.self),
            attempt: bytes.readBigEndian(at: 32, as: UInt16.self),
            remainingDeadline: deadline == 0 ? nil : .milliseconds(deadline),
            epoch: bytes.readBigEndian(at: 38, as: UInt64.self),
            shardID: shardID,
            bodyFrameCount: bytes.readBigEndian(at: 6, as: UInt16.self)
        )
    }
}
