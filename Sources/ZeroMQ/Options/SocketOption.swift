import CZeroMQ

/// A typed libzmq socket option: its name and how its value is carried.
///
/// Each option fixes its value type, with `Duration` for times, so a wrong unit or type does not
/// compile:
///
/// ```swift
/// try socket.set(.linger, to: .zero)
/// try socket.set(.receiveHighWaterMark, to: 10_000)
/// let endpoint = try socket.get(.lastEndpoint)
/// ```
public struct SocketOption<Value: Sendable>: Sendable {
    /// libzmq's option number.
    public let name: Int32
    /// The option's name as libzmq's documentation spells it, for errors.
    public let label: String
    let codec: Codec

    enum Codec: Sendable {
        case int32(encode: @Sendable (Value) -> Int32, decode: @Sendable (Int32) -> Value)
        case int64(encode: @Sendable (Value) -> Int64, decode: @Sendable (Int64) -> Value)
        case bytes(capacity: Int, encode: @Sendable (Value) -> [UInt8], decode: @Sendable ([UInt8]) -> Value)
    }

    init(_ name: Int32, _ label: String, _ codec: Codec) {
        self.name = name
        self.label = label
        self.codec = codec
    }
}

extension SocketOption where Value == Int {
    static func int(_ name: Int32, _ label: String) -> Self {
        Self(name, label, .int32(encode: { Int32(clamping: $0) }, decode: { Int($0) }))
    }
}

extension SocketOption where Value == Bool {
    static func flag(_ name: Int32, _ label: String) -> Self {
        Self(name, label, .int32(encode: { $0 ? 1 : 0 }, decode: { $0 != 0 }))
    }
}

extension SocketOption where Value == Duration {
    static func milliseconds(_ name: Int32, _ label: String) -> Self {
        Self(name, label, .int32(encode: { $0.zmqMilliseconds }, decode: { .zmqMilliseconds($0) }))
    }

    static func seconds(_ name: Int32, _ label: String) -> Self {
        Self(name, label, .int32(encode: { $0.zmqSeconds }, decode: { .seconds(Int64($0)) }))
    }
}

extension SocketOption where Value == Duration? {
    /// A time where libzmq's -1 means "no limit" (`nil`).
    static func optionalMilliseconds(_ name: Int32, _ label: String) -> Self {
        Self(
            name,
            label,
            .int32(
                encode: { $0.map { $0.zmqMilliseconds } ?? -1 },
                decode: { $0 < 0 ? nil : .zmqMilliseconds($0) }
            )
        )
    }
}

extension SocketOption where Value == [UInt8] {
    static func bytes(_ name: Int32, _ label: String, capacity: Int = 255) -> Self {
        Self(name, label, .bytes(capacity: capacity, encode: { $0 }, decode: { $0 }))
    }
}

extension SocketOption where Value == String {
    static func string(_ name: Int32, _ label: String, capacity: Int = 1024) -> Self {
        Self(
            name,
            label,
            .bytes(
                capacity: capacity,
                encode: { Array($0.utf8) },
                // libzmq counts the terminating NUL in string options.
                decode: { bytes in String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }
            )
        )
    }
}

extension SocketOption where Value == CurveKey {
    static func curveKey(_ name: Int32, _ label: String) -> Self {
        Self(
            name,
            label,
            .bytes(capacity: 32, encode: { $0.bytes }, decode: { CurveKey(unchecked: $0) })
        )
    }
}
