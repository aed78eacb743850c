import CZeroMQ

/// One frame, held in libzmq's own message structure (`zmq_msg_t`) at whatever size it arrived.
///
/// Receiving into a `Message` never truncates, and sending one hands its content to libzmq without a
/// copy. Owned by one thread at a time, like the socket it travels on.
///
/// ```swift
/// let frame = try socket.receive()
/// let text = frame.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
/// ```
public final class Message {
    package let pointer: UnsafeMutablePointer<zmq_msg_t>

    /// An empty frame.
    public init() {
        self.pointer = .allocate(capacity: 1)
        zmq_msg_init(self.pointer)
    }

    /// A frame holding a copy of some bytes.
    public init(copying bytes: UnsafeRawBufferPointer) throws(ZMQError) {
        self.pointer = .allocate(capacity: 1)
        guard zmq_msg_init_size(self.pointer, bytes.count) == 0 else {
            let error = ZMQError.last("zmq_msg_init_size \(bytes.count)")
            self.pointer.deallocate()
            throw error
        }
        if let base = bytes.baseAddress, bytes.count > 0 {
            zmq_msg_data(self.pointer).copyMemory(from: base, byteCount: bytes.count)
        }
    }

    /// A frame holding a copy of an array's bytes.
    public convenience init(_ bytes: [UInt8]) throws(ZMQError) {
        try self.init(size: bytes.count)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress, source.count > 0 {
                zmq_msg_data(self.pointer).copyMemory(from: base, byteCount: source.count)
            }
        }
    }

    /// A frame of `size` bytes to fill through ``withUnsafeMutableBytes(_:)``.
    public init(size: Int) throws(ZMQError) {
        self.pointer = .allocate(capacity: 1)
        guard zmq_msg_init_size(self.pointer, size) == 0 else {
            let error = ZMQError.last("zmq_msg_init_size \(size)")
            self.pointer.deallocate()
            throw error
        }
    }

    /// A frame that sends a caller's buffer without copying it.
    ///
    /// libzmq owns the buffer from here on and calls `deallocate` once it is done with it, on one of
    /// its I/O threads, possibly after the send returned. Do not touch the buffer after this call.
    ///
    /// ```swift
    /// let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 26, alignment: 16)
    /// // fill it ...
    /// let frame = try Message(adopting: buffer) { $0.deallocate() }
    /// try socket.send(frame)
    /// ```
    public init(
        adopting buffer: UnsafeMutableRawBufferPointer,
        deallocate: @escaping @Sendable (UnsafeMutableRawBufferPointer) -> Void
    ) throws(ZMQError) {
        self.pointer = .allocate(capacity: 1)
        let release = BufferRelease(buffer: buffer, deallocate: deallocate)
        let hint = Unmanaged.passRetained(release).toOpaque()
        let rc = zmq_msg_init_data(
            self.pointer,
            buffer.baseAddress,
            buffer.count,
            { _, hint in
                guard let hint else { return }
                let release = Unmanaged<BufferRelease>.fromOpaque(hint).takeRetainedValue()
                release.deallocate(release.buffer)
            },
            hint
        )
        guard rc == 0 else {
            let error = ZMQError.last("zmq_msg_init_data \(buffer.count)")
            Unmanaged<BufferRelease>.fromOpaque(hint).release()
            self.pointer.deallocate()
            throw error
        }
    }

    deinit {
        zmq_msg_close(self.pointer)
        self.pointer.deallocate()
    }

    /// The frame's size in bytes.
    public var count: Int { zmq_msg_size(self.pointer) }

    /// Whether more frames of the same message follow this received one.
    public var hasMore: Bool { zmq_msg_more(self.pointer) != 0 }

    /// Reads the frame's bytes in place.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: zmq_msg_data(self.pointer), count: self.count))
    }

    /// Writes the frame's bytes in place, before sending.
    public func withUnsafeMutableBytes<R, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: zmq_msg_data(self.pointer), count: self.count))
    }

    /// A copy of the frame's bytes.
    public var bytes: [UInt8] {
        self.withUnsafeBytes { Array($0) }
    }
}

/// Carries a zero-copy buffer and its deallocator to libzmq's free callback.
private final class BufferRelease: Sendable {
    // Sendable: the buffer is never read through this object, only handed back to `deallocate`, once.
    nonisolated(unsafe) let buffer: UnsafeMutableRawBufferPointer
    let deallocate: @Sendable (UnsafeMutableRawBufferPointer) -> Void

    init(buffer: UnsafeMutableRawBufferPointer, deallocate: @escaping @Sendable (UnsafeMutableRawBufferPointer) -> Void) {
        self.buffer = buffer
        self.deallocate = deallocate
    }
}
