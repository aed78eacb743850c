/// CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection), the checksum Redis Cluster
/// hashes keys with.
///
/// ```swift
/// CRC16.xmodem("123456789")            // 0x31C3
/// Int(CRC16.xmodem("foo")) % 16384     // 12182, Redis Cluster's slot for "foo"
/// ```
public enum CRC16 {
    /// The CRC of some bytes.
    public static func xmodem(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var crc: UInt16 = 0
        Self.table.withUnsafeBufferPointer { table in
            for byte in bytes {
                crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
            }
        }
        return crc
    }

    /// The CRC of a sequence of bytes.
    public static func xmodem(_ bytes: some Sequence<UInt8>) -> UInt16 {
        if let crc = bytes.withContiguousStorageIfAvailable({ Self.xmodem(UnsafeRawBufferPointer($0)) }) {
            return crc
        }
        var crc: UInt16 = 0
        Self.table.withUnsafeBufferPointer { table in
            for byte in bytes {
                crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
            }
        }
        return crc
    }

    /// The CRC of a string's UTF-8 bytes.
    public static func xmodem(_ text: String) -> UInt16 {
        Self.xmodem(text.utf8)
    }

    /// One entry per value of the high byte: that byte shifted through eight rounds of the polynomial.
    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }
}
