/// The per-request sequence number a client engine assigns; the same across every attempt of one request.
public typealias RequestID = UInt64

/// A random 128-bit identity a client engine picks once and sends with every request.
///
/// Together with the request id it names one logical request, which is what lets a server replay a
/// cached reply instead of running a handler twice when a request is retried.
public struct ClientID: Hashable, Sendable, CustomStringConvertible {
    /// The first eight bytes, big-endian.
    public let high: UInt64
    /// The last eight bytes, big-endian.
    public let low: UInt64

    /// The number of bytes of a client id on the wire.
    public static let byteCount = 16

    /// A client id from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A client id from exactly 16 bytes, or `nil` for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 {
                high = high << 8 | UInt64(byte)
            } else {
                low = low << 8 | UInt64(byte)
            }
        }
        self.init(high: high, low: low)
    }

    /// A new random client id from the system's secure generator.
    public static func random() -> ClientID {
        var generator = SystemRandomNumberGenerator()
        return self.random(using: &generator)
    }

    /// A new random client id from `generator`, for reproducible tests.
    public static func random(using generator: inout some RandomNumberGenerator) -> ClientID {
        ClientID(high: generator.next(), low: generator.next())
    }

    /// The 16 bytes as sent on the wire.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.byteCount)
        out.appendBigEndian(self.high)
        out.appendBigEndian(self.low)
        return out
    }

    /// 32 lowercase hexadecimal digits.
    public var description: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(32)
        for half in [self.high, self.low] {
            for shift in stride(from: 60, through: 0, by: -4) {
                text.append(digits[Int((half >> UInt64(shift)) & 0xF)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
