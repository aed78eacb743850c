import ZeroMQ

/// Why a ``CorsairServer`` could not start or keep running, or why a key file was refused.
///
/// Branch on ``code``; ``description`` is one line meant for logs and the command line, naming the
/// file, line or endpoint at fault. Equality and hashing use only ``code``, as with
/// swift-service-lifecycle's `ServiceGroupError`.
///
/// ```swift
/// do {
///     try await server.run()
/// } catch let error as CorsairServerError where error.code == .addressInUse {
///     print("error: \(error)")   // error: cannot bind tcp://127.0.0.1:5555: address already in use
/// }
/// ```
public struct CorsairServerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a value callers can branch on. Opaque so that codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidConfiguration
            case addressInUse
            case bindFailed
            case socketError
            case curveUnavailable
            case keyFileUnreadable
            case keyFileInsecure
            case invalidKeyFile
            case keyFileExists
            case keyFileUnwritable
            case wrongKeyHalf
            case alreadyStarted
            case notBound
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A configuration value is out of range, such as no endpoints or a zero in-flight bound.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// Another socket already listens on an endpoint.
        public static let addressInUse = Code(.addressInUse)
        /// An endpoint could not be bound for another reason: malformed, unknown transport, not local.
        public static let bindFailed = Code(.bindFailed)
        /// A ZeroMQ operation other than bind failed, or the server's I/O thread could not start.
        public static let socketError = Code(.socketError)
        /// CURVE was asked for but this libzmq was built without it.
        public static let curveUnavailable = Code(.curveUnavailable)
        /// A key or allow-list file could not be opened or read.
        public static let keyFileUnreadable = Code(.keyFileUnreadable)
        /// A secret key file can be read by its group or by others.
        public static let keyFileInsecure = Code(.keyFileInsecure)
        /// A key or allow-list file holds something that is not a Z85 key.
        public static let invalidKeyFile = Code(.invalidKeyFile)
        /// Writing a key file would replace one that exists.
        public static let keyFileExists = Code(.keyFileExists)
        /// A key file could not be created or written.
        public static let keyFileUnwritable = Code(.keyFileUnwritable)
        /// A file given as a secret key holds the public key of a keypair whose secret key is in
        /// the file beside it (``CorsairServerError/path`` names that file).
        public static let wrongKeyHalf = Code(.wrongKeyHalf)
        /// ``CorsairServer/run()`` was called on a server that has already run.
        public static let alreadyStarted = Code(.alreadyStarted)
        /// The server's bound endpoints were asked for, but it stopped before binding, or the task
        /// waiting for them was cancelled.
        public static let notBound = Code(.notBound)

        public var description: String {
            switch self.base {
            case .invalidConfiguration: return "invalid configuration"
            case .addressInUse: return "address in use"
            case .bindFailed: return "bind failed"
            case .socketError: return "socket error"
            case .curveUnavailable: return "CURVE unavailable"
            case .keyFileUnreadable: return "key file unreadable"
            case .keyFileInsecure: return "key file insecure"
            case .invalidKeyFile: return "invalid key file"
            case .keyFileExists: return "key file exists"
            case .keyFileUnwritable: return "key file unwritable"
            case .wrongKeyHalf: return "wrong key half"
            case .alreadyStarted: return "already started"
            case .notBound: return "not bound"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// The whole story in one line, naming the file, line or endpoint at fault.
    public var message: String
    /// The file at fault, for key file errors.
    public var path: String?
    /// The 1-based line at fault, for an allow-list line that is not a key.
    public var line: Int?
    /// The endpoint at fault, for bind errors.
    public var endpoint: String?
    /// The ZeroMQ error underneath, if any.
    public var underlying: ZMQError?

    /// An error with every field given.
    public init(
        code: Code,
        message: String,
        path: String? = nil,
        line: Int? = nil,
        endpoint: String? = nil,
        underlying: ZMQError? = nil
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.line = line
        self.endpoint = endpoint
        self.underlying = underlying
    }

    public static func == (lhs: CorsairServerError, rhs: CorsairServerError) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }

    public var description: String { self.message }
}

extension CorsairServerError {
    static func invalidConfiguration(_ message: String) -> CorsairServerError {
        CorsairServerError(code: .invalidConfiguration, message: "invalid server configuration: \(message)")
    }

    static func bind(_ endpoint: String, _ error: ZMQError) -> CorsairServerError {
        let code: Code = error.code == .addressInUse ? .addressInUse : .bindFailed
        return CorsairServerError(
            code: code,
            message: "cannot bind \(endpoint): \(error.message)",
            endpoint: endpoint,
            underlying: error
        )
    }

    static func socket(_ what: String, _ error: ZMQError) -> CorsairServerError {
        CorsairServerError(code: .socketError, message: "\(what): \(error.message)", underlying: error)
    }
}
