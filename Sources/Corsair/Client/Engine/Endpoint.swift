import ZeroMQ

/// Where a request goes: a ZeroMQ endpoint and, for CURVE, the server's public key.
///
/// ```swift
/// let plain: Endpoint = "tcp://127.0.0.1:5555"
/// let secure = Endpoint("tcp://10.0.0.7:5555", serverPublicKey: key)
/// ```
public struct Endpoint: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The address to connect to, such as `tcp://127.0.0.1:5555`.
    public var address: String
    /// The server's CURVE public key; `nil` talks in plain text.
    public var serverPublicKey: CurveKey?

    /// An endpoint.
    /// - Parameters:
    ///   - address: The address to connect to.
    ///   - serverPublicKey: The server's CURVE public key, to encrypt and authenticate the connection.
    public init(_ address: String, serverPublicKey: CurveKey? = nil) {
        self.address = address
        self.serverPublicKey = serverPublicKey
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public var description: String { self.address }
}
