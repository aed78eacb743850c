import CZeroMQ

/// A connection event of a watched socket, as reported by `zmq_socket_monitor`.
public enum MonitorEvent: Sendable, Hashable, CustomStringConvertible {
    /// A connection to `endpoint` was made.
    case connected(endpoint: String)
    /// A connect is still under way.
    case connectDelayed(endpoint: String)
    /// A connect failed and will be retried after `interval`.
    case connectRetried(endpoint: String, interval: Duration)
    /// The socket now listens on `endpoint`.
    case listening(endpoint: String)
    /// A bind failed with the errno given.
    case bindFailed(endpoint: String, errno: Int32)
    /// A peer connected to a bound endpoint.
    case accepted(endpoint: String)
    /// Accepting a peer failed with the errno given.
    case acceptFailed(endpoint: String, errno: Int32)
    /// A connection or listener was closed.
    case closed(endpoint: String)
    /// A connection was lost.
    case disconnected(endpoint: String)
    /// The ZMTP handshake (and any security mechanism) completed.
    case handshakeSucceeded(endpoint: String)
    /// The handshake failed on a protocol error, such as a CURVE key that does not decrypt or a
    /// mechanism mismatch. `code` is one of libzmq's `ZMQ_PROTOCOL_ERROR_*` values.
    case handshakeFailedProtocol(endpoint: String, code: UInt32)
    /// The peer's ZAP handler refused us, or ours refused the peer. `status` is the ZAP status code (400 = denied).
    case handshakeFailedAuthentication(endpoint: String, status: UInt32)
    /// The handshake failed without detail (the connection dropped during it).
    case handshakeFailed(endpoint: String)
    /// Monitoring stopped.
    case monitorStopped
    /// An event this binding does not name.
    case other(event: UInt16, value: UInt32, endpoint: String)

    init(event: UInt16, value: UInt32, endpoint: String) {
        switch Int32(event) {
        case ZMQ_EVENT_CONNECTED: self = .connected(endpoint: endpoint)
        case ZMQ_EVENT_CONNECT_DELAYED: self = .connectDelayed(endpoint: endpoint)
        case ZMQ_EVENT_CONNECT_RETRIED:
            self = .connectRetried(endpoint: endpoint, interval: .zmqMilliseconds(Int32(truncatingIfNeeded: value)))
        case ZMQ_EVENT_LISTENING: self = .listening(endpoint: endpoint)
        case ZMQ_EVENT_BIND_FAILED: self = .bindFailed(endpoint: endpoint, errno: Int32(bitPattern: value))
        case ZMQ_EVENT_ACCEPTED: self = .accepted(endpoint: endpoint)
        case ZMQ_EVENT_ACCEPT_FAILED: self = .acceptFailed(endpoint: endpoint, errno: Int32(bitPattern: value))
        case ZMQ_EVENT_CLOSED: self = .closed(endpoint: endpoint)
        case ZMQ_EVENT_DISCONNECTED: self = .disconnected(endpoint: endpoint)
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: self = .handshakeSucceeded(endpoint: endpoint)
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: self = .handshakeFailedProtocol(endpoint: endpoint, code: value)
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: self = .handshakeFailedAuthentication(endpoint: endpoint, status: value)
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: self = .handshakeFailed(endpoint: endpoint)
        case ZMQ_EVENT_MONITOR_STOPPED: self = .monitorStopped
        default: self = .other(event: event, value: value, endpoint: endpoint)
        }
    }

    /// Whether this event says a handshake failed, for any reason.
    public var isHandshakeFailure: Bool {
        switch self {
        case .handshakeFailed, .handshakeFailedProtocol, .handshakeFailedAuthentication: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .connected(let endpoint): return "connected \(endpoint)"
        case .connectDelayed(let endpoint): return "connect delayed \(endpoint)"
        case .connectRetried(let endpoint, let interval): return "connect retried \(endpoint) in \(interval)"
        case .listening(let endpoint): return "listening \(endpoint)"
        case .bindFailed(let endpoint, let errno): return "bind failed \(endpoint) errno \(errno)"
        case .accepted(let endpoint): return "accepted \(endpoint)"
        case .acceptFailed(let endpoint, let errno): return "accept failed \(endpoint) errno \(errno)"
        case .closed(let endpoint): return "closed \(endpoint)"
        case .disconnected(let endpoint): return "disconnected \(endpoint)"
        case .handshakeSucceeded(let endpoint): return "handshake succeeded \(endpoint)"
        case .handshakeFailedProtocol(let endpoint, let code):
            return "handshake failed \(endpoint): protocol error 0x\(String(code, radix: 16))"
        case .handshakeFailedAuthentication(let endpoint, let status):
            return "handshake failed \(endpoint): authentication refused (status \(status))"
        case .handshakeFailed(let endpoint): return "handshake failed \(endpoint)"
        case .monitorStopped: return "monitor stopped"
        case .other(let event, let value, let endpoint): return "event 0x\(String(event, radix: 16)) value \(value) \(endpoint)"
        }
    }
}
