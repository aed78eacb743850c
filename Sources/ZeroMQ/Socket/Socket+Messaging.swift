import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Socket {
    /// Sends one frame, copying its bytes.
    /// - Parameters:
    ///   - bytes: The frame.
    ///   - more: More frames of the same message follow.
    ///   - dontWait: Fail with ``ZMQError/Code/wouldBlock`` rather than wait for room.
    public func send(_ bytes: UnsafeRawBufferPointer, more: Bool = false, dontWait: Bool = false) throws(ZMQError) {
        let handle = try self.checkedHandle("send")
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        while zmq_send(handle, bytes.baseAddress, bytes.count, flags) < 0 {
            let errno = zmq_errno()
            // A signal interrupted a blocking send; nothing was queued, so send again.
            guard errno == EINTR else { throw ZMQError(errno: errno, operation: "send " + self.kind.description) }
        }
    }

    /// Sends one frame, copying its bytes.
    public func send(_ bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws(ZMQError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ZMQError) in try self.send(raw, more: more, dontWait: dontWait) }
        }
        try result.get()
    }

    /// Sends one frame held in a ``Message``, without copying it. The message is empty afterwards.
    public func send(_ message: Message, more: Bool = false, dontWait: Bool = false) throws(ZMQError) {
        let handle = try self.checkedHandle("send")
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        while zmq_msg_send(message.pointer, handle, flags) < 0 {
            let errno = zmq_errno()
            guard errno == EINTR else { throw ZMQError(errno: errno, operation: "send " + self.kind.description) }
        }
    }

    /// Sends a whole message, one frame per element.
    ///
    /// libzmq queues a multipart message atomically: either every frame goes or, when the first
    /// frame fails, none does.
    public func send(multipart frames: [[UInt8]], dontWait: Bool = false) throws(ZMQError) {
        guard !frames.isEmpty else { return }
        let last = frames.count - 1
        for index in frames.indices {
            try self.send(frames[index], more: index < last, dontWait: dontWait)
        }
    }

    /// Receives one frame, at its full size.
    /// - Parameter dontWait: Fail with ``ZMQError/Code/wouldBlock`` rather than wait for a frame.
    public func receive(dontWait: Bool = false) throws(ZMQError) -> Message {
        let message = Message()
        try self.receive(into: message, dontWait: dontWait)
        return message
    }

    /// Receives one frame into an existing message, at its full size, releasing what it held.
    ///
    /// A loop that copies each frame out can reuse one message this way instead of allocating one
    /// per frame, or one per "would block" answer.
    ///
    /// ```swift
    /// let frame = Message()
    /// while (try? socket.receive(into: frame, dontWait: true)) != nil {
    ///     handle(frame.bytes)
    /// }
    /// ```
    /// - Parameters:
    ///   - message: Where the frame goes; on failure it holds nothing useful.
    ///   - dontWait: Fail with ``ZMQError/Code/wouldBlock`` rather than wait for a frame.
    public func receive(into message: Message, dontWait: Bool = false) throws(ZMQError) {
        let handle = try self.checkedHandle("receive")
        let flags = dontWait ? ZMQ_DONTWAIT : 0
        while zmq_msg_recv(message.pointer, handle, flags) < 0 {
            let errno = zmq_errno()
            // Concatenating two short strings keeps a small string: no allocation on the "would block"
            // path that every turn of an I/O loop takes.
            guard errno == EINTR else { throw ZMQError(errno: errno, operation: "receive " + self.kind.description) }
        }
    }

    /// Receives every frame of one message, as messages.
    public func receiveMultipartMessages(dontWait: Bool = false) throws(ZMQError) -> [Message] {
        var frames: [Message] = []
        var frame = try self.receive(dontWait: dontWait)
        frames.append(frame)
        // The rest of a multipart message has arrived with its first frame, so never blocks.
        while frame.hasMore {
            frame = try self.receive()
            frames.append(frame)
        }
        return frames
    }

    /// Receives every frame of one message, each copied into an array.
    public func receiveMultipart(dontWait: Bool = false) throws(ZMQError) -> [[UInt8]] {
        // One message for every frame: each is copied out before the next replaces it.
        let frame = Message()
        try self.receive(into: frame, dontWait: dontWait)
        var frames = [frame.bytes]
        while frame.hasMore {
            try self.receive(into: frame)
            frames.append(frame.bytes)
        }
        return frames
    }

    /// The ready state libzmq reports for this socket, without waiting.
    ///
    /// Reading it also processes the socket's pending commands, which may consume the signal on
    /// ``signalDescriptor``.
    public var events: PollEvents {
        get throws(ZMQError) { PollEvents(rawValue: Int16(truncatingIfNeeded: try self.get(.events))) }
    }

    /// A file descriptor that turns readable when ``events`` may have changed (`ZMQ_FD`).
    ///
    /// It lets one plain `poll` watch many sockets at the cost of one system call, where `zmq_poll`
    /// costs a few per socket on every call. The signal is edge-like: any operation on the socket
    /// (send, receive, reading ``events``) may consume it, so read ``events`` after each such
    /// operation and before waiting on the descriptor again. The descriptor belongs to the socket:
    /// never close it, and stop polling it once the socket is closed.
    ///
    /// ```swift
    /// var poller = Poller()
    /// poller.add(fileDescriptor: try socket.signalDescriptor, events: .readable)
    /// while try !socket.events.contains(.readable) {
    ///     _ = try poller.poll(timeout: .seconds(1))
    /// }
    /// let reply = try socket.receiveMultipart(dontWait: true)
    /// ```
    public var signalDescriptor: Int32 {
        get throws(ZMQError) { try self.get(.fileDescriptor) }
    }
}
