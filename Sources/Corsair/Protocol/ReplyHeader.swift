/// The first frame of every Corsair reply: what the server did, for which request, and why.
///
/// The layout is the same in protocol versions 1 and 2 (32 bytes plus the detail); version 2 adds the
/// statuses ``ReplyStatus/moved`` and ``ReplyStatus/serverMapOlder``. See docs/PROTOCOL.md.
///
/// ```swift
/// let header = ReplyHeader(status: .overloaded, requestID: 7, retryAfter: .milliseconds(50))
/// let frame = header.encode()
/// ```
public struct ReplyHeader: Hashable, Sendable {
    /// What the server did with the request.
    public var status: ReplyStatus
    /// The request id of the request this answers, echoed.
    public var requestID: RequestID
    /// The epoch of the server's shard map, or 0 when it has none.
    public var epoch: UInt64
    /// How long the client should wait before retrying; meaningful for ``ReplyStatus/overloaded``.
    ///
    /// Sent as whole milliseconds, rounded up and capped at `UInt32.max` ms; zero or negative is sent as 0.
    public var retryAfter: Duration
    /// The owner's shard id and endpoint for ``ReplyStatus/moved``; the message for handler errors, bad
    /// requests and expired deadlines; usually empty otherwise.
    ///
    /// At most 65,535 UTF-8 bytes go on the wire: a longer detail is cut at the last whole character
    /// that fits, never inside one.
    public var detail: String
    /// How many body frames follow this header.
    ///
    /// ``ServerEnvelope/reply(envelope:header:body:)`` sets this from the body it is given.
    public var bodyFrameCount: UInt16

    /// A reply header. The defaults describe a reply with no shard map, no retry hint, no detail and no body.
    public init(
        status: ReplyStatus,
        requestID: RequestID,
        epoch: UInt64 = 0,
        retryAfter: Duration = .zero,
        detail: String = "",
        bodyFrameCount: UInt16 = 0
    ) {
        self.status = status
        self.requestID = requestID
        self.epoch = epoch
        self.retryAfter = retryAfter
        self.detail = detail
        self.bodyFrameCount = bodyFrameCount
    }

    /// The retry-after as it goes on the wire: whole milliseconds.
    public var retryAfterMilliseconds: UInt32 {
        WireFormat.milliseconds(roundingUp: self.retryAfter)
    }

    /// The number of detail bytes that go on the wire: all of them, or as many as fit without
    /// splitting a character.
    private var encodedDetailLength: Int {
        let utf8 = self.detail.utf8
        let count = utf8.count
        guard count > WireFormat.maxDetailLength else { return count }
        // Back up from the limit past continuation bytes (10xxxxxx) to the start of a scalar, so the
        // prefix ends on a scalar boundary.
        var cut = WireFormat.maxDetailLength
        var index = utf8.index(utf8.startIndex, offsetBy: cut)
        while cut > 0 && utf8[index] & 0xC0 == 0x80 {
            cut -= 1
            utf8.formIndex(before: &index)
        }
        return cut
    }

    /// The header as one frame.
    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        let detailLength = self.encodedDetailLength
        out.reserveCapacity(WireFormat.replyFixedSize + detailLength)
        self.encode(into: &out, detailLength: detailLength)
        return out
    }

    /// Appends the header's bytes to `out`.
    public func encode(into out: inout [UInt8]) {
        self.encode(into: &out, detailLength: self.encodedDetailLength)
    }

    /// The header in protocol version 1's layout, for answering a version-1 request that the server
    /// refuses: the old client can read it and fail at once instead of timing out.
    func encodeForObsoleteVersion() -> [UInt8] {
        var out: [UInt8] = []
        self.encode(into: &out, detailLength: self.encodedDetailLength, version: WireFormat.obsoleteVersion)
        return out
    }

    private func encode(into out: inout [UInt8], detailLength: Int, version: UInt8 = WireFormat.version) {
        WireFormat.appendPreamble(type: WireFormat.replyType, version: version, to: &out)
        out.appendBigEndian(self.bodyFrameCount)
        out.append(self.status.rawValue)
        out.append(0)
        out.appendBigEndian(self.requestID)
        out.appendBigEndian(self.epoch)
        out.appendBigEndian(self.retryAfterMilliseconds)
        out.appendBigEndian(UInt16(truncatingIfNeeded: detailLength))
        if detailLength > 0 {
            out.append(contentsOf: self.detail.utf8.prefix(detailLength))
        }
    }

    /// Reads a reply header frame.
    ///
    /// Never traps, whatever the bytes. The reserved byte is ignored.
    ///
    /// - Throws: ``ProtocolError`` with `emptyMessage`, `badMagic`, `unsupportedVersion`,
    ///   `wrongMessageType`, `truncatedHeader`, `malformedHeader`, `unknownStatus` or `invalidText`; the
    ///   error carries the request id when the frame was long enough to read it.
    public static func decode(_ frame: [UInt8]) throws(ProtocolError) -> ReplyHeader {
        let result: Result<ReplyHeader, ProtocolError> = frame.withUnsafeBytes { bytes in
            Result { () throws(ProtocolError) in try Self.decode(bytes) }
        }
        return try result.get()
    }

    /// Reads a reply header from raw bytes, such as a received message's data, without copying them.
    ///
    /// Never traps, whatever the bytes. Throws the same errors as the array overload.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(ProtocolError) -> ReplyHeader {
        try WireFormat.checkPreamble(bytes, expectedType: WireFormat.replyType, what: "reply header")
        let requestID: RequestID? = bytes.count >= 18 ? bytes.readBigEndian(at: 10, as: UInt64.self) : nil
        guard bytes.count >= WireFormat.replyFixedSize else {
            throw ProtocolError(
                code: .truncatedHeader,
                message: "reply header has \(bytes.count) bytes, fewer than the fixed \(WireFormat.replyFixedSize)",
                requestID: requestID
            )
        }
        let detailLength = Int(bytes.readBigEndian(at: 30, as: UInt16.self))
        let expected = WireFormat.replyFixedSize + detailLength
        guard bytes.count >= expected else {
            throw ProtocolError(
                code: .truncatedHeader,
                message: "reply header has \(bytes.count) bytes; its detail length says \(expected)",
                requestID: requestID
            )
        }
        guard bytes.count == expected else {
            throw ProtocolError(
                code: .malformedHeader,
                message: "reply header has \(bytes.count - expected) bytes after its \(expected)",
                requestID: requestID
            )
        }
        guard let status = ReplyStatus(rawValue: bytes[8]) else {
            throw ProtocolError(
                code: .unknownStatus,
                message: "reply status \(bytes[8]) is not one this build knows",
                requestID: requestID
            )
        }
        var detail = ""
        if detailLength > 0 {
            let text = UnsafeRawBufferPointer(rebasing: bytes[WireFormat.replyFixedSize..<expected])
            guard let string = String(validating: text, as: UTF8.self) else {
                throw ProtocolError(code: .invalidText, message: "reply detail is not valid UTF-8", requestID: requestID)
            }
            detail = string
        }
        return ReplyHeader(
            status: status,
            requestID: bytes.readBigEndian(at: 10, as: UInt64.self),
            epoch: bytes.readBigEndian(at: 18, as: UInt64.self),
            retryAfter: .milliseconds(bytes.readBigEndian(at: 26, as: UInt32.self)),
            detail: detail,
            bodyFrameCount: bytes.readBigEndian(at: 6, as: UInt16.self)
        )
    }
}

extension ReplyHeader {
    /// A ``ReplyStatus/moved`` reply: `shardID` owns the request under the map of `epoch`, at `endpoint`.
    ///
    /// The detail is the shard id, one space, and the endpoint; neither may contain a space (shard ids
    /// and endpoints that a shard map accepts never do).
    public static func moved(requestID: RequestID, epoch: UInt64, shardID: String, endpoint: String) -> ReplyHeader {
        ReplyHeader(status: .moved, requestID: requestID, epoch: epoch, detail: shardID + " " + endpoint)
    }

    /// The shard id and endpoint a ``ReplyStatus/moved`` reply names; `nil` when the status is another
    /// or the detail is not two words separated by one space.
    public var movedTarget: (shardID: String, endpoint: String)? {
        guard self.status == .moved else { return nil }
        let parts = self.detail.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }
}
