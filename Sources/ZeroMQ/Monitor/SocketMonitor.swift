import CZeroMQ
import Synchronization

/// Reports a socket's connection events (connects, disconnects, handshakes).
///
/// Made on, and owned by, the thread that owns the watched socket, before that socket binds or
/// connects: libzmq cannot deliver an event in the instant between its side binding and ours
/// connecting, so the socket should have nothing to report yet. Its ``socket`` can join that
/// thread's ``Poller`` so events arrive in the same loop as messages.
///
/// libzmq sends events with a blocking send, often from its I/O thread, so an event that cannot be
/// queued would stall every socket of the context. The monitor therefore queues events without
/// limit (read them, or close the monitor) and stops libzmq's monitoring before it stops listening.
///
/// ```swift
/// let monitor = try SocketMonitor(watching: client)
/// try client.connect(endpoint)
/// while let event = try monitor.next(timeout: .seconds(1)) {
///     if case .handshakeSucceeded = event { break }
/// }
/// ```
public final class SocketMonitor {
    /// The PAIR socket events arrive on.
    public let socket: Socket
    // Weak: the monitor must not keep the watched socket open. A released socket is closed, and
    // closing a socket stops its monitoring.
    private weak var target: Socket?

    /// Starts monitoring a socket.
    public init(watching target: Socket) throws(ZMQError) {
        let handle = try target.checkedHandle("zmq_socket_monitor")
        let endpoint = "inproc://corsair-monitor-\(SocketMonitor.nextID())"
        let socket = try Socket(target.context, .pair)
        // The inproc pipe's limit is the sum of both ends' limits unless one end has none; with
        // none here, libzmq's blocking event send never waits.
        try socket.set(.receiveHighWaterMark, to: 0)
        // Bind (libzmq's side) before connecting ours. The other order leaves a pending inproc
        // connection in the context whenever the bind fails (say, out of sockets); libzmq settles
        // those at termination by opening a socket each, and aborts when it cannot.
        guard zmq_socket_monitor(handle, endpoint, ZMQ_EVENT_ALL) == 0 else {
            throw ZMQError.last("zmq_socket_monitor")
        }
        do {
            try socket.connect(endpoint)
        } catch {
            // No reader: stop libzmq's side at once, or its next event send would block.
            zmq_socket_monitor(handle, nil, 0)
            throw error
        }
        self.socket = socket
        self.target = target
    }

    deinit {
        self.close()
    }

    // inproc names are per context; a process-wide counter keeps them apart.
    private static let counter = Atomic<UInt64>(0)

    private static func nextID() -> UInt64 {
        counter.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// Receives the next event, waiting at most `timeout`; `nil` when none came in time.
    public func next(timeout: Duration?) throws(ZMQError) -> MonitorEvent? {
        var poller = Poller()
        poller.add(self.socket, events: .readable)
        guard try poller.poll(timeout: timeout) > 0 else { return nil }
        return try self.receive()
    }

    /// Receives an event that is ready now, or throws ``ZMQError/Code/wouldBlock``.
    public func receive() throws(ZMQError) -> MonitorEvent {
        let frames = try self.socket.receiveMultipartMessages(dontWait: true)
        guard frames.count >= 2, frames[0].count >= 6 else {
            return .other(event: 0, value: 0, endpoint: "")
        }
        let (event, value) = frames[0].withUnsafeBytes { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt16.self), raw.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        }
        let endpoint = frames[1].withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        return MonitorEvent(event: event, value: value, endpoint: endpoint)
    }

    /// Receives every event that is ready now, without waiting.
    public func drain() throws(ZMQError) -> [MonitorEvent] {
        var events: [MonitorEvent] = []
        while try self.socket.events.contains(.readable) {
            events.append(try self.receive())
        }
        return events
    }

    /// Stops monitoring and closes the event socket. Calling it again does nothing.
    ///
    /// Closing the watched socket also stops monitoring; events already queued stay readable until
    /// the monitor is closed.
    public func close() {
        // Stop libzmq first: once our end is closed, its next blocking event send would never return.
        if let handle = self.target?.handle {
            zmq_socket_monitor(handle, nil, 0)
        }
        self.target = nil
        self.socket.close()
    }
}
