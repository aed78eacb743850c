import DequeModule
import ZeroMQ

/// A REQ socket of an endpoint's pool, or a pool's pipelined DEALER connection, with its
/// handshake monitor. Owned by the I/O thread.
final class ClientSocket {
    let socket: Socket
    /// Watches the handshake; closed once it succeeded, so that idle sockets cost no polling.
    private(set) var monitor: SocketMonitor?
    unowned let pool: EndpointPool
    /// The call whose reply this socket awaits.
    var call: PendingCall?
    /// REQ: the socket resent after a stale reply, so an answer to the earlier send may still be
    /// on its way; it is closed when its call ends instead of serving another.
    var resentAfterStaleReply = false
    /// Set once the ZMTP (and CURVE) handshake completed.
    var handshakeSucceeded = false
    /// Why the handshake failed, once the monitor said so.
    var handshakeFailure: HandshakeFailure?
    /// Handshakes that failed without detail, which is all a CURVE client sees of a wrong server key.
    var silentHandshakeFailures = 0
    /// The socket's `ZMQ_FD`, which the I/O thread polls instead of the socket itself.
    let signalDescriptor: Int32
    /// The monitor's `ZMQ_FD`, while there is a monitor.
    private(set) var monitorDescriptor: Int32?
    /// Set while the socket waits in the engine's list of sockets whose events must be read.
    var needsCheck = false
    /// A DEALER connection carrying many requests (pipelined mode), not a REQ socket.
    let isPipelined: Bool
    /// Pipelined: the calls on this connection by request id, sent or waiting to be, in flight or
    /// backing off (a late reply to an earlier attempt still answers them).
    var outstanding: [UInt64: PendingCall] = [:]
    /// Pipelined: calls whose send met the high-water mark, sent in order once there is room.
    var sendQueue: Deque<PendingCall> = []
    /// Pipelined with heartbeats: the monitor stays after the handshake, watching for the drop of
    /// a connection libzmq found dead (see `EngineCore+Heartbeats.swift`).
    var watchesConnection = false
    /// Pipelined: the last reply of any request, or the send that found the connection idle.
    var lastSignOfLife: ContinuousClock.Instant

    init(socket: Socket, monitor: SocketMonitor?, pool: EndpointPool, isPipelined: Bool, now: ContinuousClock.Instant) throws(ZMQError) {
        self.isPipelined = isPipelined
        self.lastSignOfLife = now
        self.socket = socket
        self.monitor = monitor
        self.pool = pool
        self.signalDescriptor = try socket.signalDescriptor
        self.monitorDescriptor = try monitor?.socket.signalDescriptor
    }

    /// Stops watching the handshake: it succeeded, and every zmq socket in the poll set costs a
    /// system call on each pass of the I/O loop.
    func stopMonitoring() {
        self.monitor?.close()
        self.monitor = nil
        self.monitorDescriptor = nil
    }

    /// Closes the socket at once (LINGER 0), stopping its monitor first so libzmq frees both.
    func close() {
        self.monitor?.close()
        self.socket.close()
        self.call = nil
        // The calls stay the engine's; a closed connection forgets them.
        for call in self.outstanding.values {
            call.socket = nil
            call.awaitingTransmit = false
        }
        self.outstanding.removeAll()
        self.sendQueue.removeAll()
    }
}
