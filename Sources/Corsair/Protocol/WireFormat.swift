/// Constants of the Corsair wire protocol, version 2. See docs/PROTOCOL.md.
enum WireFormat {
    /// "CRSR", the first four bytes of every Corsair header frame.
    static let magic: (UInt8, UInt8, UInt8, UInt8) = (0x43, 0x52, 0x53, 0x52)
    /// The only protocol version this build speaks.
    static let version: UInt8 = 2
    /// The version before: read only far enough to answer its sender that it is refused.
    static let obsoleteVersion: UInt8 = 1
    /// Byte 5 of a request header.
    static let requestType: UInt8 = 0x01
    /// Byte 5 of a reply header.
    static let replyType: UInt8 = 0x02

    /// Magic, version and type: what every header starts with.
    static let preambleSize = 6
    /// A request header without its shard id and routing key.
    static let requestFixedSize = 50
    /// Bit 0 of a request header's flags byte: the request carries a routing key.
    static let keyedFlag: UInt8 = 0x01
    /// Bit 1 of a request header's flags byte: a trace context follows the routing key.
    static let traceContextFlag: UInt8 = 0x02
    /// The flag bits this build knows; any other set bit makes a request header malformed.
    static let knownRequestFlags: UInt8 = keyedFlag | traceContextFlag
    /// A reply header without its detail.
    static let replyFixedSize = 32

    static let maxShardIDLength = Int(UInt8.max)
    static let maxDetailLength = Int(UInt16.max)
    static let maxRoutingKeyLength = Int(UInt16.max)
    static let maxBodyFrameCount = Int(UInt16.max)
    static let maxTraceContextLength = Int(UInt16.max)
    static let maxTraceFieldNameLength = Int(UInt8.max)

    /// Whether `bytes` has at least the magic, version and type, and starts with the magic.
    @inline(__always)
    static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= self.preambleSize
            && bytes[0] == self.magic.0 && bytes[1] == self.magic.1
            && bytes[2] == self.magic.2 && bytes[3] == self.magic.3
    }

    /// Whether the (possibly short) `bytes` agree with the magic as far as they go.
    static func isMagicPrefix(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let magic = [self.magic.0, self.magic.1, self.magic.2, self.magic.3]
        for index in 0..<min(bytes.count, 4) where bytes[index] != magic[index] {
            return false
        }
        return true
    }

    /// Appends the magic, the version and `type`.
    @inline(__always)
    static func appendPreamble(type: UInt8, version: UInt8 = WireFormat.version, to out: inout [UInt8]) {
        out.append(self.magic.0)
        out.append(self.magic.1)
        out.append(self.magic.2)
        out.append(self.magic.3)
        out.append(version)
        out.append(type)
    }

    /// Checks magic, version and type, the part every header shares, in the order that gives the most
    /// useful error: a frame from a future version is reported as such, not as a length mismatch.
    static func checkPreamble(
        _ bytes: UnsafeRawBufferPointer,
        expectedType: UInt8,
        what: String
    ) throws(ProtocolError) {
        guard !bytes.isEmpty else {
            throw ProtocolError(code: .emptyMessage, message: "\(what) frame is empty")
        }
        guard self.isMagicPrefix(bytes) else {
            throw ProtocolError(code: .badMagic, message: "\(what) frame does not start with \"CRSR\"")
        }
        guard bytes.count >= self.preambleSize else {
            throw ProtocolError(
                code: .truncatedHeader,
                message: "\(what) frame has \(bytes.count) bytes, fewer than the 6 of magic, version and type"
            )
        }
        guard bytes[4] == self.version else {
            throw ProtocolError(
                code: .unsupportedVersion,
                message: "\(what) has protocol version \(bytes[4]); this build speaks version \(self.version)"
            )
        }
        guard bytes[5] == expectedType else {
            throw ProtocolError(
                code: .wrongMessageType,
                message: "\(what) has message type \(bytes[5]), expected \(expectedType)"
            )
        }
    }

    /// Converts a duration to whole milliseconds for the wire, rounding up and clamping to `UInt32.max`.
    /// Durations that are zero or negative give 0.
    static func milliseconds(roundingUp duration: Duration) -> UInt32 {
        guard duration > .zero else { return 0 }
        let (seconds, attoseconds) = duration.components
        // A positive duration has non-negative components.
        let maxSeconds = Int64(UInt32.max / 1000) + 1
        guard seconds < maxSeconds else { return .max }
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        let fraction = (attoseconds + attosecondsPerMillisecond - 1) / attosecondsPerMillisecond
        let total = UInt64(seconds) * 1000 + UInt64(fraction)
        return total > UInt64(UInt32.max) ? .max : UInt32(total)
    }

    /// The rule shared by requests and replies: a header's body frame count must equal the frames that
    /// follow it.
    static func checkBodyCount(declared: UInt16, actual: Int, what: String, requestID: RequestID) throws(ProtocolError) {
        let declared = Int(declared)
        if actual < declared {
            throw ProtocolError(
                code: .missingFrames,
                message: "\(what) header announces \(declared) body frames; \(actual) arrived",
                requestID: requestID
            )
        }
        if actual > declared {
            throw ProtocolError(
                code: .extraFrames,
                message: "\(what) header announces \(declared) body frames; \(actual) arrived",
                requestID: requestID
            )
        }
    }
}
