import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits on many sockets and file descriptors at once, with one `zmq_poll`.
///
/// With descriptors only — such as sockets' ``Socket/signalDescriptor``s — it calls `poll(2)`
/// directly: `zmq_poll` would spend a zero-timeout pass first on every wait.
///
/// Owned by the thread that owns its sockets. It holds each socket it was given, so a socket stays
/// open while it is registered; rebuild the poller after closing one.
///
/// ```swift
/// var poller = Poller()
/// let replies = poller.add(socket, events: .readable)
/// let wakeups = poller.add(fileDescriptor: eventFD, events: .readable)
/// if try poller.poll(timeout: .milliseconds(250)) > 0, poller.events(at: replies).contains(.readable) {
///     let reply = try socket.receiveMultipart()
/// }
/// ```
public struct Poller {
    private var items: [zmq_pollitem_t] = []
    private var sockets: [Socket?] = []
    /// The same registrations for a plain `poll`, used while no socket is registered: `zmq_poll`
    /// would add a zero-timeout pass (one more system call) to every wait.
    private var descriptors: [pollfd] = []
    private var socketCount = 0

    /// An empty poller.
    public init() {}

    /// How many sockets and descriptors are registered.
    public var count: Int { self.items.count }

    /// Registers a socket and returns its index.
    @discardableResult
    public mutating func add(_ socket: Socket, events: PollEvents) -> Int {
        self.items.append(zmq_pollitem_t(socket: socket.handle, fd: 0, events: events.rawValue, revents: 0))
        self.sockets.append(socket)
        self.descriptors.append(pollfd(fd: -1, events: 0, revents: 0))
        self.socketCount += 1
        return self.items.count - 1
    }

    /// Registers a plain file descriptor, such as an eventfd or a pipe, and returns its index.
    @discardableResult
    public mutating func add(fileDescriptor: Int32, events: PollEvents) -> Int {
        self.items.append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: events.rawValue, revents: 0))
        self.sockets.append(nil)
        self.descriptors.append(pollfd(fd: fileDescriptor, events: events.rawValue, revents: 0))
        return self.items.count - 1
    }

    /// Forgets every registration.
    public mutating func removeAll() {
        self.items.removeAll(keepingCapacity: true)
        self.sockets.removeAll(keepingCapacity: true)
        self.descriptors.removeAll(keepingCapacity: true)
        self.socketCount = 0
    }

    /// What the last poll found at an index.
    public func events(at index: Int) -> PollEvents {
        if self.socketCount == 0 {
            return PollEvents(rawValue: self.descriptors[index].revents)
        }
        return PollEvents(rawValue: self.items[index].revents)
    }

    /// Waits until something registered is ready or the timeout passes.
    ///
    /// Neither a signal nor libzmq's millisecond clock ends the wait early: it resumes with the
    /// time left.
    /// - Parameter timeout: How long to wait; `nil` waits for ever, `.zero` only looks.
    /// - Returns: How many registrations are ready; 0 when the timeout passed.
    /// - Throws: ``ZMQError/Code/notASocket`` when a registered socket has been closed.
    public mutating func poll(timeout: Duration?) throws(ZMQError) -> Int {
        // A closed socket's item holds a dangling handle (or none, which libzmq would read as
        // descriptor 0); never hand either to zmq_poll.
        for socket in self.sockets {
            if let socket, socket.isClosed {
                throw ZMQError(errno: ENOTSOCK, operation: "zmq_poll \(socket.kind)")
            }
        }
        // Looking without waiting (what a busy loop does on most turns), or waiting for good, needs
        // no clock.
        let clock = ContinuousClock()
        let deadline = timeout.flatMap { $0 > .zero ? clock.now.advanced(by: $0) : nil }
        while true {
            let milliseconds: Int = deadline.map { Int(clock.now.duration(to: $0).zmqMilliseconds) } ?? (timeout == nil ? -1 : 0)
            let rc = self.waitOnce(milliseconds: milliseconds)
            if rc > 0 { return Int(rc) }
            if rc == 0 {
                // zmq_poll measures its timeout on a whole-millisecond clock, so when socket
                // commands wake it part-way it may give up to a millisecond before our deadline.
                guard let deadline, clock.now < deadline else { return 0 }
                continue
            }
            let code = self.socketCount == 0 ? errno : zmq_errno()
            guard code == EINTR else { throw ZMQError(errno: code, operation: self.socketCount == 0 ? "poll" : "zmq_poll") }
        }
    }

    private mutating func waitOnce(milliseconds: Int) -> Int32 {
        if self.socketCount == 0 {
            return self.descriptors.withUnsafeMutableBufferPointer { buffer in
                systemPoll(buffer.baseAddress, nfds_t(buffer.count), Int32(clamping: milliseconds))
            }
        }
        return self.items.withUnsafeMutableBufferPointer { buffer in
            zmq_poll(buffer.baseAddress, Int32(buffer.count), milliseconds)
        }
    }
}

// Outside the type, where `poll` names the C function rather than the method.
private func systemPoll(_ descriptors: UnsafeMutablePointer<pollfd>?, _ count: nfds_t, _ milliseconds: Int32) -> Int32 {
    poll(descriptors, count, milliseconds)
}
