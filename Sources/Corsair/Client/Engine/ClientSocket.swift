import ZeroMQ

/// A REQ socket of an endpoint's pool, with its handshake monitor. Owned by the I/O thread.
final class ClientSocket {
    let socket: Socket
    let monitor: SocketMonitor?
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

    /// Closes the socket at once (LINGER 0), stopping its monitor first so libzmq frees both.
    func close() {
        self.monitor?.close()
        self.socket.close()
        self.call = nil
    }
}
