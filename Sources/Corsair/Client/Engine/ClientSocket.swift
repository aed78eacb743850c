import ZeroMQ

/// A REQ socket of an endpoint's pool, with its handshake monitor. Owned by the I/O thread.
final class ClientSocket {
    let socket: Socket
    /// Watches the handshake; closed once it succeeded, so that idle sockets cost no polling.
    private(set) var monitor: SocketMonitor?
    unowned let pool: EndpointPool
    /// The call whose reply this socket awaits.
    var call: PendingCall?
    /// Set once the ZMTP (and CURVE) handshake completed.
    var handshakeSucceeded = false
    /// Why the handshake failed, once the monitor said so.
    var handshakeFailure: String?
    /// Handshakes that failed without detail, which is all a CURVE client sees of a wrong server key.
    var silentHandshakeFailures = 0

    init(socket: Socket, monitor: SocketMonitor?, pool: EndpointPool) {
        self.socket = socket
        self.monitor = monitor
        self.pool = pool
    }

    /// Stops watching the handshake: it succeeded, and every zmq socket in the poll set costs a
    /// system call on each pass of the I/O loop.
    func stopMonitoring() {
        self.monitor?.close()
        self.monitor = nil
    }

    /// Closes the socket at once (LINGER 0), stopping its monitor first so libzmq frees both.
    func close() {
        self.monitor?.close()
        self.socket.close()
        self.call = nil
    }
}
