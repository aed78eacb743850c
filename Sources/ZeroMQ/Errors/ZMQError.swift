import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error reported by libzmq, carrying the errno, the operation that failed and libzmq's text.
///
/// Branch on ``code``; the errno and the text are there for logs and for codes this type does not name.
///
/// ```swift
/// do {
///     try socket.bind("tcp://127.0.0.1:5555")
/// } catch let error as ZMQError where error.code == .addressInUse {
///     // pick another port
/// }
/// ```
public struct ZMQError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a value callers can branch on. Opaque so that codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case wouldBlock
            case interrupted
            case terminated
            case invalidState
            case hostUnreachable
            case endpointNotFound
            case addressInUse
            case addressNotAvailable
            case messageTooLarge
            case invalidArgument
            case protocolNotSupported
            case notSupported
            case notASocket
            case tooManyOpenFiles
            case other
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A non-blocking operation could not complete now, or a send/receive timeout ran out (`EAGAIN`).
        public static let wouldBlock = Code(.wouldBlock)
        /// A signal interrupted the call (`EINTR`). The binding retries this itself where it can.
        public static let interrupted = Code(.interrupted)
        /// The context was terminated (`ETERM`).
        public static let terminated = Code(.terminated)
        /// The socket is in the wrong state for this operation, such as a REQ socket sending twice (`EFSM`).
        public static let invalidState = Code(.invalidState)
        /// A ROUTER with `ROUTER_MANDATORY` has no peer with that routing id (`EHOSTUNREACH`).
        public static let hostUnreachable = Code(.hostUnreachable)
        /// The endpoint was not bound or connected on this socket (`ENOENT`).
        public static let endpointNotFound = Code(.endpointNotFound)
        /// The address is already in use by another socket (`EADDRINUSE`).
        public static let addressInUse = Code(.addressInUse)
        /// The address is not local or does not exist (`EADDRNOTAVAIL`, `ENODEV`).
        public static let addressNotAvailable = Code(.addressNotAvailable)
        /// The message is larger than a limit allows (`EMSGSIZE`).
        public static let messageTooLarge = Code(.messageTooLarge)
        /// An argument was not valid: an unknown option, a malformed endpoint (`EINVAL`).
        public static let invalidArgument = Code(.invalidArgument)
        /// The endpoint's transport is not supported (`EPROTONOSUPPORT`, `ENOCOMPATPROTO`).
        public static let protocolNotSupported = Code(.protocolNotSupported)
        /// The operation is not supported by this socket type or build (`ENOTSUP`).
        public static let notSupported = Code(.notSupported)
        /// The socket was already closed (`ENOTSOCK`).
        public static let notASocket = Code(.notASocket)
        /// The process or libzmq ran out of file descriptors or sockets (`EMFILE`).
        public static let tooManyOpenFiles = Code(.tooManyOpenFiles)
        /// Any errno not named above; see ``ZMQError/errno``.
        public static let other = Code(.other)

        /// The code libzmq's errno maps to.
        public init(errno: Int32) {
            switch errno {
            case EAGAIN: self = .wouldBlock
            case EINTR: self = .interrupted
            case ETERM: self = .terminated
            case EFSM: self = .invalidState
            case EHOSTUNREACH: self = .hostUnreachable
            case ENOENT: self = .endpointNotFound
            case EADDRINUSE: self = .addressInUse
            case EADDRNOTAVAIL, ENODEV: self = .addressNotAvailable
            case EMSGSIZE: self = .messageTooLarge
            case EINVAL: self = .invalidArgument
            case EPROTONOSUPPORT, ENOCOMPATPROTO: self = .protocolNotSupported
            case ENOTSUP: self = .notSupported
            case ENOTSOCK: self = .notASocket
            case EMFILE: self = .tooManyOpenFiles
            default: self = .other
            }
        }

        public var description: String {
            switch self.base {
            case .wouldBlock: return "would block"
            case .interrupted: return "interrupted"
            case .terminated: return "context terminated"
            case .invalidState: return "invalid state"
            case .hostUnreachable: return "host unreachable"
            case .endpointNotFound: return "endpoint not found"
            case .addressInUse: return "address in use"
            case .addressNotAvailable: return "address not available"
            case .messageTooLarge: return "message too large"
            case .invalidArgument: return "invalid argument"
            case .protocolNotSupported: return "protocol not supported"
            case .notSupported: return "not supported"
            case .notASocket: return "not a socket"
            case .tooManyOpenFiles: return "too many open files"
            case .other: return "error"
            }
        }
    }

    /// What went wrong.
    public let code: Code
    /// The errno libzmq reported.
    public let errno: Int32
    /// The operation that failed, such as `bind tcp://127.0.0.1:5555`.
    public let operation: String
    /// libzmq's text for the errno (`zmq_strerror`).
    public var message: String {
        String(cString: zmq_strerror(self.errno))
    }

    /// An error for an errno and the operation that produced it.
    public init(errno: Int32, operation: String) {
        self.code = Code(errno: errno)
        self.errno = errno
        self.operation = operation
    }

    /// The error for the errno libzmq has just set.
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        ZMQError(errno: zmq_errno(), operation: operation())
    }

    public var description: String {
        "\(self.operation): \(self.message) (\(self.code), errno \(self.errno))"
    }
}
