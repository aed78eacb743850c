import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ZeroMQ socket, owned by the one thread that uses it.
///
/// Not `Sendable`: libzmq sockets are not thread safe, so a socket belongs to the thread that made
/// it for its whole life. It keeps its ``Context`` alive and closes itself when released.
/// New sockets linger for 0 ms on close, so closing never blocks on unsent messages.
///
/// ```swift
/// let server = try Socket(context, .rep)
/// try server.bind("tcp://127.0.0.1:*")
/// let endpoint = try server.lastEndpoint
/// ```
public final class Socket {
    /// The context this socket belongs to.
    public let context: Context
    /// The socket's type.
    public let kind: SocketKind
    package private(set) var handle: UnsafeMutableRawPointer?

    /// Opens a socket.
    /// - Parameters:
    ///   - context: The context to open it in; the socket keeps it alive.
    ///   - kind: The socket type.
    ///   - linger: How long `close` may keep unsent messages; `nil` waits for ever. Defaults to zero.
    public init(_ context: Context, _ kind: SocketKind, linger: Duration? = .zero) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, kind.rawValue) else {
            throw ZMQError.last("zmq_socket \(kind)")
        }
        self.context = context
        self.kind = kind
        self.handle = handle
        do {
            try self.set(.linger, to: linger)
        } catch {
            zmq_close(handle)
            self.handle = nil
            throw error
        }
    }

    deinit {
        self.close()
    }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { self.handle == nil }

    /// Closes the socket. Calling it again does nothing.
    public func close() {
        guard let handle = self.handle else { return }
        self.handle = nil
        zmq_close(handle)
    }

    package func checkedHandle(_ operation: @autoclosure () -> String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle = self.handle else {
            throw ZMQError(errno: ENOTSOCK, operation: operation())
        }
        return handle
    }

    /// Accepts connections on an endpoint, such as `tcp://127.0.0.1:*` or `ipc:///tmp/x`.
    ///
    /// Read the port a wildcard bind chose from ``lastEndpoint``.
    public func bind(_ endpoint: String) throws(ZMQError) {
        let handle = try self.checkedHandle("bind \(endpoint)")
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last("bind \(endpoint)") }
    }

    /// Stops accepting connections on an endpoint bound earlier.
    public func unbind(_ endpoint: String) throws(ZMQError) {
        let handle = try self.checkedHandle("unbind \(endpoint)")
        guard zmq_unbind(handle, endpoint) == 0 else { throw ZMQError.last("unbind \(endpoint)") }
    }

    /// Connects to an endpoint. libzmq connects in the background and reconnects on its own.
    public func connect(_ endpoint: String) throws(ZMQError) {
        let handle = try self.checkedHandle("connect \(endpoint)")
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError.last("connect \(endpoint)") }
    }

    /// Disconnects from an endpoint connected earlier.
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        let handle = try self.checkedHandle("disconnect \(endpoint)")
        guard zmq_disconnect(handle, endpoint) == 0 else { throw ZMQError.last("disconnect \(endpoint)") }
    }

    /// The endpoint last bound or connected, with the port a wildcard bind chose.
    public var lastEndpoint: String {
        get throws(ZMQError) { try self.get(.lastEndpoint) }
    }
}
