/// The 64-bit FNV-1a hash.
///
/// ```swift
/// FNV1a64.hash("")      // 0xcbf29ce484222325
/// FNV1a64.hash("a")     // 0xaf63dc4c8601ec8c
/// ```
public enum FNV1a64 {
    /// The hash of no bytes.
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    /// The FNV 64-bit prime.
    public static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// The hash of some bytes.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash = Self.offsetBasis
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* Self.prime
        }
        return hash
    }

    /// The hash of a sequence of bytes.
    public static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        if let hash = bytes.withContiguousStorageIfAvailable({ Self.hash(UnsafeRawBufferPointer($0)) }) {
            return hash
        }
        var hash = Self.offsetBasis
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* Self.prime
        }
        return hash
    }

    /// The hash of a string's UTF-8 bytes.
    public static func hash(_ text: String) -> UInt64 {
        Self.hash(text.utf8)
    }
}
