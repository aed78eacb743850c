import CZeroMQ

/// A 32-byte CURVE key, public or secret, that reads and writes as 40 Z85 characters.
public struct CurveKey: Sendable, Hashable, CustomStringConvertible {
    /// The key's 32 bytes.
    public let bytes: [UInt8]

    init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// A key from its 32 bytes; `nil` for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// A key from its 40-character Z85 text; `nil` when the text is not a Z85 key.
    public init?(z85: String) {
        let text = String(z85.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
        guard text.utf8.count == 40, let bytes = Z85.decode(text), bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// The key as 40 Z85 characters.
    public var z85: String {
        // 32 bytes always encode; the fallback never runs.
        Z85.encode(self.bytes) ?? ""
    }

    /// The Z85 text, so that printing a secret key by accident is as visible as it is harmful.
    public var description: String { self.z85 }
}

/// A CURVE keypair.
public struct CurveKeyPair: Sendable, Hashable {
    /// The key given to peers.
    public let publicKey: CurveKey
    /// The key kept private.
    public let secretKey: CurveKey

    /// A pair from its two keys.
    public init(publicKey: CurveKey, secretKey: CurveKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A new random keypair.
    ///
    /// Fails with ``ZMQError/Code/notSupported`` when libzmq was built without CURVE.
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else {
            throw ZMQError.last("zmq_curve_keypair")
        }
        guard
            let publicKey = CurveKey(z85: String(zmqText: publicText)),
            let secretKey = CurveKey(z85: String(zmqText: secretText))
        else {
            throw ZMQError(errno: EINVAL, operation: "zmq_curve_keypair")
        }
        return CurveKeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// The pair for a secret key, deriving its public key.
    public init(secretKey: CurveKey) throws(ZMQError) {
        var publicText = [CChar](repeating: 0, count: 41)
        let secretText = secretKey.z85
        guard zmq_curve_public(&publicText, secretText) == 0, let publicKey = CurveKey(z85: String(zmqText: publicText))
        else {
            throw ZMQError.last("zmq_curve_public")
        }
        self.init(publicKey: publicKey, secretKey: secretKey)
    }
}

extension String {
    /// Text from a NUL-terminated C buffer that libzmq filled.
    init(zmqText buffer: [CChar]) {
        self = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
