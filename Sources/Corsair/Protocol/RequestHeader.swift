/// The first frame of every Corsair request: who sends it, which attempt it is and where it should go.
///
/// The layout is fixed by protocol version 2 (50 bytes plus the shard id, the routing key and, when
/// present, the trace context); see docs/PROTOCOL.md.
///
/// A keyed request carries its ``routingKey``: the server applies its own current map's routing to
/// it, so ownership is decided from the key, never from the ``shardID`` label. A request without a
/// key but with a shard id is shard-level (`request(shard:)`): the label is the target.
///
/// ```swift
/// var header = RequestHeader(clientID: id, requestID: 7, remainingDeadline: .seconds(2), routingKey: Array("user:42".utf8))
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
    /// For a keyed request it is informational (logs, handlers); the server decides from the key. At most
    /// 255 UTF-8 bytes; ``encode()`` throws ``ProtocolError/Code/shardIDTooLong`` otherwise. An empty
    /// string is sent as "no shard" and decodes as `nil`.
    public var shardID: String?
    /// The key the request is routed by, as bytes (a `String` key's UTF-8), or `nil` for a keyless request.
    ///
    /// An empty key is a key (it hashes like any other). At most 65,535 bytes; ``encode()`` throws
    /// ``ProtocolError/Code/routingKeyTooLong`` otherwise.
    public var routingKey: [UInt8]?
    /// How many body frames follow this header.
    ///
    /// ``RequestMessage/encode(header:body:)`` sets this from the body it is given.
    public var bodyFrameCount: UInt16
    /// The caller's trace propagation fields (W3C `traceparent` and `tracestate`), or `nil`.
    ///
    /// Sent only when it has fields (flag bit 1): a header without one is byte for byte what a
    /// client without tracing sends. An empty context is sent as none and decodes as `nil`.
    public var traceContext: TraceContext?

    /// A request header. The defaults describe a first attempt with no deadline, no shard map, no key
    /// and no body.
    public init(
        clientID: ClientID,
        requestID: RequestID,
        attempt: UInt16 = 1,
        remainingDeadline: Duration? = nil,
        epoch: UInt64 = 0,
        shardID: String? = nil,
        routingKey: [UInt8]? = nil,
        bodyFrameCount: UInt16 = 0,
        traceContext: TraceContext? = nil
    ) {
        self.clientID = clientID
        self.requestID = requestID
        self.attempt = attempt
        self.remainingDeadline = remainingDeadline
        self.epoch = epoch
        self.shardID = shardID
        self.routingKey = routingKey
        self.bodyFrameCount = bodyFrameCount
        self.traceContext = traceContext
    }

    /// The bytes of a header before its shard id and routing key.
    static let fixedSize = WireFormat.requestFixedSize

    /// The remaining deadline as it goes on the wire: whole milliseconds, 0 for none.
    public var remainingDeadlineMilliseconds: UInt32 {
        guard let deadline = self.remainingDeadline else { return 0 }
        return max(1, WireFormat.milliseconds(roundingUp: deadline))
    }

    /// The header as one frame.
    ///
    /// - Throws: ``ProtocolError/Code/shardIDTooLong`` when the shard id is over 255 UTF-8 bytes;
    ///   ``ProtocolError/Code/routingKeyTooLong`` when the key is over 65,535 bytes.
    public func encode() throws(ProtocolError) -> [UInt8] {
        try RequestMessage.headerFrame(self, key: self.routingKey)
    }

    /// Appends the header's bytes to `out`.
    ///
    /// - Throws: ``ProtocolError/Code/shardIDTooLong`` or ``ProtocolError/Code/routingKeyTooLong``;
    ///   `out` is then left unchanged.
    public func encode(into out: inout [UInt8]) throws(ProtocolError) {
        try self.encode(into: &out, key: self.routingKey)
    }

    /// Throws the error ``encode()`` would for a shard id, routing key or body this long: a client
    /// checks a request once, when it is submitted, rather than finding out at every attempt.
    /// - Parameters:
    ///   - shardIDLength: The shard id's UTF-8 length.
    ///   - keyLength: The routing key's length in bytes.
    ///   - bodyFrameCount: The number of body frames, when the caller sends them.
    ///   - requestID: The request id the error names.
    public static func checkLimits(
        shardIDLength: Int,
        keyLength: Int,
        bodyFrameCount: Int = 0,
        requestID: RequestID? = nil
    ) throws(ProtocolError) {
        guard shardIDLength <= WireFormat.maxShardIDLength else {
            throw ProtocolError(
                code: .shardIDTooLong,
                message: "shard id is \(shardIDLength) UTF-8 bytes; at most \(WireFormat.maxShardIDLength) fit",
                requestID: requestID
            )
        }
        guard keyLength <= WireFormat.maxRoutingKeyLength else {
            throw ProtocolError(
                code: .routingKeyTooLong,
                message: "routing key is \(keyLength) bytes; at most \(WireFormat.maxRoutingKeyLength) fit",
                requestID: requestID
            )
        }
        guard bodyFrameCount <= WireFormat.maxBodyFrameCount else {
            throw ProtocolError(
                code: .tooManyFrames,
                message: "request has \(bodyFrameCount) body frames; at most \(WireFormat.maxBodyFrameCount) fit",
                requestID: requestID
            )
        }
    }

    /// Appends the header's bytes with `key` as the routing key, whatever ``routingKey`` holds: the
    /// engine passes a `String` key's UTF-8 view here, so that sending a key copies it only into the frame.
    func encode<Key: Collection<UInt8>>(into out: inout [UInt8], key: Key?) throws(ProtocolError) {
        let shardLength = self.shardID?.utf8.count ?? 0
        let keyLength = key?.count ?? 0
        try Self.checkLimits(shardIDLength: shardLength, keyLength: keyLength, requestID: self.requestID)
        WireFormat.appendPreamble(type: WireFormat.requestType, to: &out)
        out.appendBigEndian(self.bodyFrameCount)
        out.appendBigEndian(self.clientID.high)
        out.appendBigEndian(self.clientID.low)
        out.appendBigEndian(self.requestID)
        out.appendBigEndian(self.attempt)
        out.appendBigEndian(self.remainingDeadlineMilliseconds)
        out.appendBigEndian(self.epoch)
        let traceContext = self.traceContext.flatMap { $0.isEmpty ? nil : $0 }
        out.append((key == nil ? 0 : WireFormat.keyedFlag) | (traceContext == nil ? 0 : WireFormat.traceContextFlag))
        out.append(UInt8(truncatingIfNeeded: shardLength))
        out.appendBigEndian(UInt16(truncatingIfNeeded: keyLength))
        if let shardID = self.shardID, shardLength > 0 {
            out.append(contentsOf: shardID.utf8)
        }
        if let key, keyLength > 0 {
            out.append(contentsOf: key)
        }
        traceContext?.encode(into: &out)
    }

    /// Reads a request header frame.
    ///
    /// Never traps, whatever the bytes.
    ///
    /// - Throws: ``ProtocolError`` with `emptyMessage`, `badMagic`, `unsupportedVersion`,
    ///   `obsoleteVersion`, `wrongMessageType`, `truncatedHeader`, `malformedHeader` or `invalidText`;
    ///   the error carries the request id when the frame was long enough to read it.
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
        let requestID: RequestID? = bytes.count >= 32 ? bytes.readBigEndian(at: 24, as: UInt64.self) : nil
        do {
            try WireFormat.checkPreamble(bytes, expectedType: WireFormat.requestType, what: "request header")
        } catch where error.code == .unsupportedVersion && bytes[4] == WireFormat.obsoleteVersion && bytes[5] == WireFormat.requestType {
            // Version 1 put the request id at the same offset, so its sender can be answered.
            throw ProtocolError(
                code: .obsoleteVersion,
                message: "request header has protocol version 1, which carries no routing key; this server speaks version \(WireFormat.version)",
                requestID: requestID
            )
        }
        guard bytes.count >= WireFormat.requestFixedSize else {
            throw ProtocolError(
                code: .truncatedHeader,
                message: "request header has \(bytes.count) bytes, fewer than the fixed \(WireFormat.requestFixedSize)",
                requestID: requestID
            )
        }
        let flags = bytes[46]
        guard flags & ~WireFormat.knownRequestFlags == 0 else {
            throw ProtocolError(
                code: .malformedHeader,
                message: "request header has unknown flags \(flags); only bits 0 (keyed) and 1 (trace context) are defined",
                requestID: requestID
            )
        }
        let keyed = flags & WireFormat.keyedFlag != 0
        let traced = flags & WireFormat.traceContextFlag != 0
        let shardLength = Int(bytes[47])
        let keyLength = Int(bytes.readBigEndian(at: 48, as: UInt16.self))
        guard keyed || keyLength == 0 else {
            throw ProtocolError(
                code: .malformedHeader,
                message: "request header has a key length of \(keyLength) but no key flag",
                requestID: requestID
            )
        }
        let keyStart = WireFormat.requestFixedSize + shardLength
        let keyEnd = keyStart + keyLength
        var expected = keyEnd + (traced ? 2 : 0)
        guard bytes.count >= expected else {
            throw ProtocolError(
                code: .truncatedHeader,
                message: "request header has \(bytes.count) bytes; its shard id and key lengths say \(expected)",
                requestID: requestID
            )
        }
        if traced {
            expected += Int(bytes.readBigEndian(at: keyEnd, as: UInt16.self))
            guard bytes.count >= expected else {
                throw ProtocolError(
                    code: .truncatedHeader,
                    message: "request header has \(bytes.count) bytes; its lengths with the trace context say \(expected)",
                    requestID: requestID
                )
            }
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
            let text = UnsafeRawBufferPointer(rebasing: bytes[WireFormat.requestFixedSize..<keyStart])
            guard let string = String(validating: text, as: UTF8.self) else {
                throw ProtocolError(code: .invalidText, message: "shard id is not valid UTF-8", requestID: requestID)
            }
            shardID = string
        }
        let routingKey: [UInt8]? = keyed ? Array(UnsafeRawBufferPointer(rebasing: bytes[keyStart..<keyEnd])) : nil
        let traceContext: TraceContext? = traced
            ? try TraceContext.decode(UnsafeRawBufferPointer(rebasing: bytes[(keyEnd + 2)..<expected]), requestID: bytes.readBigEndian(at: 24, as: UInt64.self))
            : nil
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
            routingKey: routingKey,
            bodyFrameCount: bytes.readBigEndian(at: 6, as: UInt16.self),
            traceContext: traceContext
        )
    }
}
