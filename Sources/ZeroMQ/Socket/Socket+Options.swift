import CZeroMQ

extension Socket {
    /// Sets a socket option.
    ///
    /// ```swift
    /// try socket.set(.receiveTimeout, to: .milliseconds(250))
    /// ```
    public func set<Value>(_ option: SocketOption<Value>, to value: Value) throws(ZMQError) {
        let handle = try self.checkedHandle("setsockopt \(option.label)")
        let rc: Int32
        switch option.codec {
        case .int32(let encode, _):
            var raw = encode(value)
            rc = zmq_setsockopt(handle, option.name, &raw, MemoryLayout<Int32>.size)
        case .int64(let encode, _):
            var raw = encode(value)
            rc = zmq_setsockopt(handle, option.name, &raw, MemoryLayout<Int64>.size)
        case .bytes(_, let encode, _):
            let raw = encode(value)
            rc = raw.withUnsafeBytes { zmq_setsockopt(handle, option.name, $0.baseAddress, $0.count) }
        }
        guard rc == 0 else { throw ZMQError.last("setsockopt \(option.label)") }
    }

    /// Reads a socket option.
    public func get<Value>(_ option: SocketOption<Value>) throws(ZMQError) -> Value {
        let handle = try self.checkedHandle("getsockopt \(option.label)")
        switch option.codec {
        case .int32(_, let decode):
            var raw: Int32 = 0
            var size = MemoryLayout<Int32>.size
            guard zmq_getsockopt(handle, option.name, &raw, &size) == 0 else {
                throw ZMQError.last("getsockopt \(option.label)")
            }
            return decode(raw)
        case .int64(_, let decode):
            var raw: Int64 = 0
            var size = MemoryLayout<Int64>.size
            guard zmq_getsockopt(handle, option.name, &raw, &size) == 0 else {
                throw ZMQError.last("getsockopt \(option.label)")
            }
            return decode(raw)
        case .bytes(let capacity, _, let decode):
            var raw = [UInt8](repeating: 0, count: capacity)
            var size = capacity
            let rc = raw.withUnsafeMutableBytes { zmq_getsockopt(handle, option.name, $0.baseAddress, &size) }
            guard rc == 0 else { throw ZMQError.last("getsockopt \(option.label)") }
            return decode(Array(raw.prefix(size)))
        }
    }
}
