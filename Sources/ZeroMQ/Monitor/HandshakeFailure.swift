import CZeroMQ

/// Why a ZMTP handshake failed, as a value callers can branch on, made from a ``MonitorEvent``.
///
/// libzmq reports a failed handshake in three ways (a protocol error with a code, a ZAP refusal with
/// a status, or no detail at all); this folds them into one ``Code`` so that a caller can say what
/// the person at the keyboard should change:
///
/// ```swift
/// if let failure = event.handshakeFailure, failure.code == .mechanismMismatch {
///     // one side uses CURVE and the other does not
/// }
/// ```
public struct HandshakeFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a value callers can branch on. Opaque so that codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case mechanismMismatch
            case cryptographic
            case authenticationRefused
            case noDetail
            case protocolError
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The two sides use different security mechanisms, such as CURVE on one side and none on
        /// the other (`ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH`).
        public static let mechanismMismatch = Code(.mechanismMismatch)
        /// A CURVE message did not decrypt or authenticate (`ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC`).
        public static let cryptographic = Code(.cryptographic)
        /// A ZAP handler refused the peer, such as a client key missing from a server's allow-list.
        public static let authenticationRefused = Code(.authenticationRefused)
        /// The connection dropped during the handshake without a reason; all a CURVE client sees of
        /// a wrong server public key.
        public static let noDetail = Code(.noDetail)
        /// Any other ZMTP or ZAP protocol error; see ``HandshakeFailure/protocolCode``.
        public static let protocolError = Code(.protocolError)

        public var description: String {
            switch self.base {
            case .mechanismMismatch: return "mechanism mismatch"
            case .cryptographic: return "cryptographic error"
            case .authenticationRefused: return "authentication refused"
            case .noDetail: return "no detail"
            case .protocolError: return "protocol error"
            }
        }
    }

    /// What went wrong.
    public let code: Code
    /// The endpoint whose handshake failed.
    public let endpoint: String
    /// libzmq's `ZMQ_PROTOCOL_ERROR_*` value, for protocol errors.
    public let protocolCode: UInt32?
    /// The ZAP status code (such as 400), for an authentication refusal.
    public let zapStatus: UInt32?

    /// A failure with every field given; ``MonitorEvent/handshakeFailure`` makes one from an event.
    public init(code: Code, endpoint: String, protocolCode: UInt32? = nil, zapStatus: UInt32? = nil) {
        self.code = code
        self.endpoint = endpoint
        self.protocolCode = protocolCode
        self.zapStatus = zapStatus
    }

    /// The same text as the ``MonitorEvent`` it came from.
    public var description: String {
        if let protocolCode {
            return "handshake failed \(self.endpoint): protocol error 0x\(String(protocolCode, radix: 16))"
        }
        if let zapStatus {
            return "handshake failed \(self.endpoint): authentication refused (status \(zapStatus))"
        }
        return "handshake failed \(self.endpoint)"
    }
}

extension MonitorEvent {
    /// Why the handshake failed, when this event says it did; `nil` for every other event.
    public var handshakeFailure: HandshakeFailure? {
        switch self {
        case .handshakeFailedProtocol(let endpoint, let code):
            let kind: HandshakeFailure.Code
            switch Int32(bitPattern: code) {
            case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: kind = .mechanismMismatch
            case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC: kind = .cryptographic
            default: kind = .protocolError
            }
            return HandshakeFailure(code: kind, endpoint: endpoint, protocolCode: code)
        case .handshakeFailedAuthentication(let endpoint, let status):
            return HandshakeFailure(code: .authenticationRefused, endpoint: endpoint, zapStatus: status)
        case .handshakeFailed(let endpoint):
            return HandshakeFailure(code: .noDetail, endpoint: endpoint)
        default:
            return nil
        }
    }
}
