/// A frame or message that does not follow the Corsair wire protocol, or a header that cannot be encoded.
///
/// Branch on ``code``; ``message`` says what exactly was wrong, for logs. ``requestID`` is set when the
/// request id could be read before the problem was found, so that a server can still answer the request
/// with ``ReplyStatus/badRequest``.
///
/// ```swift
/// do {
///     let (header, body) = try ReplyMessage.decode(frames: frames)
/// } catch where error.code == .unsupportedVersion {
///     // the server speaks a newer protocol
/// }
/// ```
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a value callers can branch on. Opaque so that codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case emptyMessage
            case badMagic
            case unsupportedVersion
            case wrongMessageType
            case truncatedHeader
            case malformedHeader
            case unknownStatus
            case missingFrames
            case extraFrames
            case invalidText
            case missingDelimiter
            case shardIDTooLong
            case tooManyFrames
            case obsoleteVersion
            case routingKeyTooLong
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A message with no frames, or a header frame with no bytes.
        public static let emptyMessage = Code(.emptyMessage)
        /// The header frame does not start with the magic `"CRSR"`.
        public static let badMagic = Code(.badMagic)
        /// The header carries a protocol version this build does not speak.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// A reply header where a request was expected, or the other way round, or an unknown type.
        public static let wrongMessageType = Code(.wrongMessageType)
        /// The header frame is shorter than its fixed part or than its length fields say.
        public static let truncatedHeader = Code(.truncatedHeader)
        /// The header frame is longer than its length fields say (trailing bytes).
        public static let malformedHeader = Code(.malformedHeader)
        /// The reply status byte is not one of the statuses of ``ReplyStatus``.
        public static let unknownStatus = Code(.unknownStatus)
        /// Fewer body frames follow the header than its body frame count says.
        public static let missingFrames = Code(.missingFrames)
        /// More body frames follow the header than its body frame count says.
        public static let extraFrames = Code(.extraFrames)
        /// A shard id or detail text that is not valid UTF-8.
        public static let invalidText = Code(.invalidText)
        /// A frame list received on a ROUTER socket without the empty delimiter frame; it cannot be answered.
        public static let missingDelimiter = Code(.missingDelimiter)
        /// Encoding only: a shard id longer than 255 UTF-8 bytes.
        public static let shardIDTooLong = Code(.shardIDTooLong)
        /// Encoding only: more than 65,535 body frames.
        public static let tooManyFrames = Code(.tooManyFrames)
        /// A request header of protocol version 1, which carries no routing key; a server answers it
        /// "bad request" in version 1's reply layout, so the old client fails at once.
        public static let obsoleteVersion = Code(.obsoleteVersion)
        /// Encoding only: a routing key longer than 65,535 bytes.
        public static let routingKeyTooLong = Code(.routingKeyTooLong)

        public var description: String {
            switch self.base {
            case .emptyMessage: return "empty message"
            case .badMagic: return "bad magic"
            case .unsupportedVersion: return "unsupported version"
            case .wrongMessageType: return "wrong message type"
            case .truncatedHeader: return "truncated header"
            case .malformedHeader: return "malformed header"
            case .unknownStatus: return "unknown status"
            case .missingFrames: return "missing frames"
            case .extraFrames: return "extra frames"
            case .invalidText: return "invalid text"
            case .missingDelimiter: return "missing delimiter"
            case .shardIDTooLong: return "shard id too long"
            case .tooManyFrames: return "too many frames"
            case .obsoleteVersion: return "obsolete version"
            case .routingKeyTooLong: return "routing key too long"
            }
        }
    }

    /// What went wrong.
    public let code: Code
    /// What exactly was wrong, for logs and for the detail of a bad-request reply.
    public let message: String
    /// The request id, when it could be read before the problem was found.
    public let requestID: UInt64?

    /// An error with a code, a message and, if known, the request id it concerns.
    public init(code: Code, message: String, requestID: UInt64? = nil) {
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    public var description: String {
        if let requestID = self.requestID {
            return "\(self.message) (\(self.code), request \(requestID))"
        }
        return "\(self.message) (\(self.code))"
    }
}
