import CZeroMQ
import Synchronization

/// Reports a socket's connection events (connects, disconnects, handshakes).
///
/// Made on, and owned by, the thread that owns the watched socket. Its ``socket`` can join that
/// thread's ``Poller`` so events arrive in the same loop as messages.
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
    private weak var watched: Socket?

    /// Starts monitoring a socket.
    public init(watching target: Socket) throws(ZMQError) {
        let handle = try target.checkedHandle("zmq_socket_monitor")
        let endpoint = "inproc://corsair-monitor-\(SocketMonitor.nextID())"
        guard zmq_socket_monitor(handle, endpoint, ZMQ_EVENT_ALL) == 0 else {
            throw ZMQError.last("zmq_socket_monitor")
        }
        self.watched = target
        let socket = try Socket(target.context, .pair)
        try socket.connect(endpoint)
        self.socket = socket
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

    /// Stops monitoring and closes the event socket.
    ///
    /// Call it before closing the watched socket: libzmq keeps a monitor's own socket alive until
    /// monitoring is stopped explicitly, so closing only the watched socket leaks it.
    public func close() {
        if let handle = self.watched?.handle {
            zmq_socket_monitor(handle, nil, 0)
        }
        self.socket.close()
    }

    deinit {
        self.close()
    }
}

