import CZeroMQ

/// ZeroMQ's Z85 text encoding (RFC 32), through libzmq's own encoder.
public enum Z85 {
    /// Encodes bytes whose count is a multiple of 4; `nil` otherwise.
    public static func encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count % 4 == 0 else { return nil }
        var text = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        let ok = bytes.withUnsafeBufferPointer { source in
            zmq_z85_encode(&text, source.baseAddress, source.count) != nil
        }
        return ok ? String(zmqText: text) : nil
    }

    /// Decodes text whose length is a multiple of 5; `nil` when it is not valid Z85.
    public static func decode(_ text: String) -> [UInt8]? {
        let count = text.utf8.count
        guard count % 5 == 0 else { return nil }
        // libzmq refuses empty text, but it is the encoding of no bytes.
        guard count > 0 else { return [] }
        // libzmq does not check the alphabet; reject characters outside it ourselves.
        let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)
        guard text.utf8.allSatisfy({ alphabet.contains($0) }) else { return nil }
        var bytes = [UInt8](repeating: 0, count: count * 4 / 5)
        guard zmq_z85_decode(&bytes, text) != nil else { return nil }
        return bytes
    }
}
