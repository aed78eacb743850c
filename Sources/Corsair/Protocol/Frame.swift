/// Predicates on single frames of a Corsair message.
public enum Frame {
    /// Whether `frame` is a Corsair header: at least 6 bytes, starting with the magic `"CRSR"`.
    ///
    /// A server treats a request whose first content frame is not a Corsair header as raw.
    /// A frame that is a Corsair header may still fail to decode.
    @inlinable
    public static func isCorsairHeader(_ frame: [UInt8]) -> Bool {
        frame.count >= 6 && frame[0] == 0x43 && frame[1] == 0x52 && frame[2] == 0x53 && frame[3] == 0x52
    }

    /// Whether the bytes are a Corsair header: at least 6 bytes, starting with the magic `"CRSR"`.
    public static func isCorsairHeader(_ bytes: UnsafeRawBufferPointer) -> Bool {
        WireFormat.hasMagic(bytes)
    }
}
