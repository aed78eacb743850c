import ZeroMQ

/// How a ``CorsairServer`` encrypts and authenticates with CURVE: its secret key and, optionally,
/// the client public keys it accepts.
///
/// With an allow-list, a client whose key is not on it fails its handshake (clients see an
/// authentication error). Without one, any client that knows the server's public key is accepted:
/// traffic is encrypted, but clients are not authenticated, and the server logs that at startup.
///
/// ```swift
/// let security = try CurveServerSecurity.load(
///     secretKeyFile: "/etc/corsair/server.key",
///     allowedClientKeysFile: "/etc/corsair/clients.txt"
/// )
/// var configuration = CorsairServer.Configuration(endpoints: ["tcp://*:5555"])
/// configuration.curve = security
/// ```
public struct CurveServerSecurity: Sendable, Hashable {
    /// The server's long-term secret key.
    public var secretKey: CurveKey
    /// The client public keys accepted, or `nil` to accept any client (encryption only).
    public var allowedClientKeys: Set<CurveKey>?

    /// CURVE settings from keys in memory.
    /// - Parameters:
    ///   - secretKey: The server's secret key.
    ///   - allowedClientKeys: The client keys accepted; `nil` accepts any client.
    public init(secretKey: CurveKey, allowedClientKeys: Set<CurveKey>? = nil) {
        self.secretKey = secretKey
        self.allowedClientKeys = allowedClientKeys
    }

    /// CURVE settings from a secret key file and an optional allow-list file.
    ///
    /// See ``CurveKeyFile/readSecretKey(at:)`` and ``CurveKeyFile/readAllowList(at:)`` for the formats
    /// and the checks.
    public static func load(
        secretKeyFile: String,
        allowedClientKeysFile: String? = nil
    ) throws(CorsairServerError) -> CurveServerSecurity {
        let secretKey = try CurveKeyFile.readSecretKey(at: secretKeyFile)
        let allowed = try allowedClientKeysFile.map { path throws(CorsairServerError) in
            try CurveKeyFile.readAllowList(at: path)
        }
        return CurveServerSecurity(secretKey: secretKey, allowedClientKeys: allowed)
    }

    /// The public key that goes with ``secretKey``: the one clients put in their endpoint.
    public func publicKey() throws(CorsairServerError) -> CurveKey {
        do {
            return try CurveKeyPair(secretKey: self.secretKey).publicKey
        } catch {
            if error.code == .notSupported {
                throw CorsairServerError(code: .curveUnavailable, message: "this libzmq was built without CURVE", underlying: error)
            }
            throw CorsairServerError(code: .invalidKeyFile, message: "cannot derive the public key: \(error.message)", underlying: error)
        }
    }
}
