import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libzmq context: the I/O threads and the registry every socket lives in.
///
/// Sockets keep their context alive, so a context is terminated only once it has been released and
/// every socket made from it is closed. Because sockets default to `LINGER 0`, terminating never
/// waits on unsent messages unless a caller asked a socket to linger.
///
/// ```swift
/// let context = try Context()
/// let socket = try Socket(context, .req)
/// ```
public final class Context: @unchecked Sendable {
    // @unchecked Sendable: libzmq documents a context as thread safe; the handle is set once in init
    // and only passed to thread-safe libzmq calls afterwards.
    package let handle: UnsafeMutableRawPointer

    /// Makes a context.
    /// - Parameters:
    ///   - ioThreads: libzmq I/O threads; one handles about a gigabyte a second.
    ///   - maxSockets: The most sockets open at once. Closed sockets count until libzmq's reaper
    ///     thread has freed them, so a process that churns sockets needs headroom. Default 1023.
    public init(ioThreads: Int = 1, maxSockets: Int = 1023) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else {
            throw ZMQError.last("zmq_ctx_new")
        }
        // Stored only once set up: a throw after every stored property is set would run deinit,
        // which would terminate the handle a second time.
        if ioThreads != 1 {
            guard zmq_ctx_set(handle, ZMQ_IO_THREADS, Int32(clamping: ioThreads)) == 0 else {
                let error = ZMQError.last("zmq_ctx_set IO_THREADS")
                zmq_ctx_term(handle)
                throw error
            }
        }
        if maxSockets != 1023 {
            guard zmq_ctx_set(handle, ZMQ_MAX_SOCKETS, Int32(clamping: maxSockets)) == 0 else {
                let error = ZMQError.last("zmq_ctx_set MAX_SOCKETS \(maxSockets)")
                zmq_ctx_term(handle)
                throw error
            }
        }
        // New sockets linger 0 ms by default, so terminating never waits on unsent messages.
        _ = zmq_ctx_set(handle, ZMQ_BLOCKY, 0)
        self.handle = handle
    }

    /// Makes every blocking call on this context's sockets return ``ZMQError/Code/terminated``.
    ///
    /// Sockets must still be closed by their owning threads; the context is terminated when the last
    /// reference goes.
    public func shutdown() {
        _ = zmq_ctx_shutdown(self.handle)
    }

    deinit {
        // zmq_ctx_term may be interrupted by a signal; it must then be called again.
        while zmq_ctx_term(self.handle) != 0 && zmq_errno() == EINTR {}
    }
}
