import UnitText

/// Why a request through Corsair failed, with the context needed to report or react to it.
///
/// Branch on ``code``; the other fields say which endpoint, how many attempts, and why the last
/// attempt failed. ``description`` is a single line meant for logs and the command line.
///
/// Equality and hashing use only ``code``, as with swift-service-lifecycle's `ServiceGroupError`,
/// so `error == .circuitOpen(endpoint: nil)` asks "was it a circuit-open error?".
///
/// ```swift
/// do {
///     let reply = try await client.request(payload)
/// } catch let error as CorsairError where error.code == .moved {
///     // error.ownerShardID at error.ownerEndpoint owns the key under error.serverEpoch
/// }
/// ```
public struct CorsairError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a value callers can branch on. Opaque so that codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case abandoned
            case deadlineExceeded
            case circuitOpen
            case retryBudgetExhausted
            case overloaded
            case wrongShard
            case deadlineExpiredOnServer
            case handlerError
            case badRequest
            case protocolError
            case authenticationFailed
            case cancelled
            case engineClosed
            case invalidEndpoint
            case socketError
            case invalidConfiguration
            case moved
            case serverMapOlder
            case redirectLoop
            case invalidRedirect
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// Every attempt failed, or the deadline ran out between attempts; the request was given up.
        public static let abandoned = Code(.abandoned)
        /// The request's overall deadline passed while an attempt was outstanding.
        public static let deadlineExceeded = Code(.deadlineExceeded)
        /// The endpoint's circuit breaker is open; the request was not sent.
        public static let circuitOpen = Code(.circuitOpen)
        /// An attempt failed and the endpoint's retry budget allowed no retry.
        public static let retryBudgetExhausted = Code(.retryBudgetExhausted)
        /// The server said it was overloaded, and its retry-after could not be honoured within the deadline.
        public static let overloaded = Code(.overloaded)
        /// A shard-level request named a shard the server's map does not list.
        public static let wrongShard = Code(.wrongShard)
        /// The server received the request after its deadline and did not run it.
        public static let deadlineExpiredOnServer = Code(.deadlineExpiredOnServer)
        /// The server's handler failed while processing the request.
        public static let handlerError = Code(.handlerError)
        /// The server rejected the request as malformed.
        public static let badRequest = Code(.badRequest)
        /// A reply did not follow the Corsair wire protocol.
        public static let protocolError = Code(.protocolError)
        /// The CURVE handshake with the server failed.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The caller cancelled the request.
        public static let cancelled = Code(.cancelled)
        /// The client engine was shut down before or while the request ran.
        public static let engineClosed = Code(.engineClosed)
        /// The endpoint string could not be used.
        public static let invalidEndpoint = Code(.invalidEndpoint)
        /// A ZeroMQ socket operation failed.
        public static let socketError = Code(.socketError)
        /// The engine's or a request's settings are not valid.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// Another shard owns the request's key under the server's map: ``ownerShardID`` at
        /// ``ownerEndpoint``, under ``serverEpoch``. A ``ShardedClient`` follows it; a plain engine
        /// request fails with it.
        public static let moved = Code(.moved)
        /// The request's shard-map epoch is newer than the server's, even after the server reloaded,
        /// and the retries ran out.
        public static let serverMapOlder = Code(.serverMapOlder)
        /// A request was moved more times than ``ShardedClient/maxRedirects`` allows: servers disagree
        /// about who owns the key.
        public static let redirectLoop = Code(.redirectLoop)
        /// A moved reply could not be followed: it named a shard the client's map does not list even
        /// after a reload, an endpoint that is not one, or (with CURVE) a shard whose server key the
        /// client's map does not give.
        public static let invalidRedirect = Code(.invalidRedirect)

        /// The code as one snake_case word, for metric labels, JSON keys and scripts:
        /// `circuit_open`, `deadline_exceeded`. ``description`` is the same in words.
        public var name: String {
            String(self.description.map { $0 == " " ? "_" : $0 })
        }

        public var description: String {
            switch self.base {
            case .abandoned: return "abandoned"
            case .deadlineExceeded: return "deadline exceeded"
            case .circuitOpen: return "circuit open"
            case .retryBudgetExhausted: return "retry budget exhausted"
            case .overloaded: return "overloaded"
            case .wrongShard: return "wrong shard"
            case .deadlineExpiredOnServer: return "deadline expired on server"
            case .handlerError: return "handler error"
            case .badRequest: return "bad request"
            case .protocolError: return "protocol error"
            case .authenticationFailed: return "authentication failed"
            case .cancelled: return "cancelled"
            case .engineClosed: return "engine closed"
            case .invalidEndpoint: return "invalid endpoint"
            case .socketError: return "socket error"
            case .invalidConfiguration: return "invalid configuration"
            case .moved: return "moved"
            case .serverMapOlder: return "server map older"
            case .redirectLoop: return "redirect loop"
            case .invalidRedirect: return "invalid redirect"
            }
        }
    }

    /// What went wrong. The only field used for equality and hashing.
    public var code: Code
    /// How many attempts were sent before the request failed; 0 if none was sent.
    public var attempts: Int
    /// The endpoint the request was for, if known.
    public var endpoint: String?
    /// Why the last attempt failed, or the server's detail text; may be empty.
    public var message: String
    /// The description of the error underneath, such as a `ZMQError` from the ZeroMQ module, if any.
    public var underlyingDescription: String?
    /// For ``Code/moved``: the endpoint of the shard the server says owns the key.
    public var ownerEndpoint: String?
    /// For ``Code/moved``: the id of the shard the server says owns the key.
    public var ownerShardID: String?
    /// For ``Code/moved``, ``Code/wrongShard`` and ``Code/serverMapOlder``: the server's shard-map
    /// epoch, if it has a map.
    public var serverEpoch: UInt64?
    /// For ``Code/overloaded``: how long the server asked the client to wait, if it said.
    public var retryAfter: Duration?
    /// The error underneath, when there is one, for callers that branch on it: a `ZMQError` (from
    /// the ZeroMQ module) for a refused endpoint or a socket failure, a ``ProtocolError`` for a
    /// reply that broke the protocol (``ProtocolError/Code/badMagic`` from a plain REP peer), a
    /// `HandshakeFailure` (from the ZeroMQ module) for a failed CURVE handshake.
    public var underlyingError: (any Error)?

    /// An error with every field given; prefer the static factories, which fill in the right ones.
    public init(
        code: Code,
        attempts: Int = 0,
        endpoint: String? = nil,
        message: String = "",
        underlyingDescription: String? = nil,
        ownerEndpoint: String? = nil,
        ownerShardID: String? = nil,
        serverEpoch: UInt64? = nil,
        retryAfter: Duration? = nil
    ) {
        self.code = code
        self.attempts = attempts
        self.endpoint = endpoint
        self.message = message
        self.underlyingDescription = underlyingDescription
        self.ownerEndpoint = ownerEndpoint
        self.ownerShardID = ownerShardID
        self.serverEpoch = serverEpoch
        self.retryAfter = retryAfter
    }

    public static func == (lhs: CorsairError, rhs: CorsairError) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }
}

// MARK: - Factories

extension CorsairError {
    /// Every attempt failed (or the deadline ran out between attempts) and the request was given up.
    ///
    /// Its description reads `abandoned after 3 attempts: timed out after 2.5s`.
    ///
    /// - Parameters:
    ///   - attempts: How many attempts were sent.
    ///   - endpoint: The endpoint, if known.
    ///   - lastFailure: Why the last attempt failed, such as `timed out after 2.5s`.
    ///   - underlying: The error behind the last failure, if any.
    public static func abandoned(
        attempts: Int,
        endpoint: String?,
        lastFailure: String,
        underlying: (any Error)? = nil
    ) -> CorsairError {
        CorsairError(
            code: .abandoned,
            attempts: attempts,
            endpoint: endpoint,
            message: lastFailure,
            underlyingDescription: underlying.map { String(describing: $0) }
        ).keeping(underlying)
    }

    /// The overall deadline passed while an attempt was outstanding.
    ///
    /// - Parameters:
    ///   - attempts: How many attempts were sent.
    ///   - endpoint: The endpoint, if known.
    ///   - lastFailure: Why the last attempt failed, or what was in progress; may be empty.
    public static func deadlineExceeded(attempts: Int, endpoint: String?, lastFailure: String = "") -> CorsairError {
        CorsairError(code: .deadlineExceeded, attempts: attempts, endpoint: endpoint, message: lastFailure)
    }

    /// The endpoint's circuit breaker is open, so the request was failed without being sent.
    ///
    /// - Parameters:
    ///   - endpoint: The endpoint whose breaker is open.
    ///   - retryAfter: How long until the breaker lets a probe through, if known.
    ///   - attempts: Attempts already sent when the breaker refused a retry; 0 for a new request.
    public static func circuitOpen(endpoint: String?, retryAfter: Duration? = nil, attempts: Int = 0) -> CorsairError {
        CorsairError(code: .circuitOpen, attempts: attempts, endpoint: endpoint, retryAfter: retryAfter)
    }

    /// An attempt failed and the retry budget allowed no retry.
    ///
    /// - Parameters:
    ///   - attempts: How many attempts were sent.
    ///   - endpoint: The endpoint whose budget is spent.
    ///   - lastFailure: Why the last attempt failed.
    public static func retryBudgetExhausted(attempts: Int, endpoint: String?, lastFailure: String) -> CorsairError {
        CorsairError(code: .retryBudgetExhausted, attempts: attempts, endpoint: endpoint, message: lastFailure)
    }

    /// The server said it was overloaded and its retry-after could not be honoured within the deadline.
    ///
    /// - Parameters:
    ///   - attempts: How many attempts were sent.
    ///   - endpoint: The overloaded endpoint.
    ///   - retryAfter: The wait the server asked for, if it gave one.
    ///   - message: The server's detail, if any.
    public static func overloaded(
        attempts: Int,
        endpoint: String?,
        retryAfter: Duration?,
        message: String = ""
    ) -> CorsairError {
        CorsairError(code: .overloaded, attempts: attempts, endpoint: endpoint, message: message, retryAfter: retryAfter)
    }

    /// The server does not own the request's shard.
    ///
    /// - Parameters:
    ///   - attempts: How many attempts were sent.
    ///   - endpoint: The endpoint that refused.
    ///   - ownerEndpoint: The endpoint the server says owns the shard, if it said.
    ///   - serverEpoch: The server's shard-map epoch, or `nil` if it has no map (epoch 0 on the wire).
    public static func wrongShard(
        attempts: Int,
        endpoint: String?,
        ownerEndpoint: String?,
        serverEpoch: UInt64?
    ) -> CorsairError {
        CorsairError(
            code: .wrongShard,
            attempts: attempts,
            endpoint: endpoint,
            ownerEndpoint: ownerEndpoint,
            serverEpoch: serverEpoch
        )
    }

    /// The server received the request after its deadline and did not run it.
    public static func deadlineExpiredOnServer(attempts: Int, endpoint: String?, message: String = "") -> CorsairError {
        CorsairError(code: .deadlineExpiredOnServer, attempts: attempts, endpoint: endpoint, message: message)
    }

    /// The server's handler failed; `message` is the server's detail.
    public static func handlerError(attempts: Int, endpoint: String?, message: String) -> CorsairError {
        CorsairError(code: .handlerError, attempts: attempts, endpoint: endpoint, message: message)
    }

    /// The server rejected the request as malformed; `message` is the server's detail.
    public static func badRequest(attempts: Int, endpoint: String?, message: String) -> CorsairError {
        CorsairError(code: .badRequest, attempts: attempts, endpoint: endpoint, message: message)
    }

    /// A reply broke the wire protocol.
    ///
    /// - Parameters:
    ///   - attempts: How many attempts were sent.
    ///   - endpoint: The endpoint that sent the reply.
    ///   - message: What was wrong with the reply.
    ///   - underlying: The decoding error, if any.
    public static func protocolError(
        attempts: Int,
        endpoint: String?,
        message: String,
        underlying: (any Error)? = nil
    ) -> CorsairError {
        CorsairError(
            code: .protocolError,
            attempts: attempts,
            endpoint: endpoint,
            message: message,
            underlyingDescription: underlying.map { String(describing: $0) }
        ).keeping(underlying)
    }

    /// The CURVE handshake with the endpoint failed.
    ///
    /// - Parameters:
    ///   - attempts: How many attempts were sent.
    ///   - endpoint: The endpoint whose handshake failed.
    ///   - message: Why, in words.
    ///   - underlying: Why, as a value: a `HandshakeFailure` from the ZeroMQ module, kept in
    ///     ``underlyingError``.
    public static func authenticationFailed(
        attempts: Int = 0,
        endpoint: String?,
        message: String = "",
        underlying: (any Error)? = nil
    ) -> CorsairError {
        CorsairError(code: .authenticationFailed, attempts: attempts, endpoint: endpoint, message: message).keeping(underlying)
    }

    /// The caller cancelled the request.
    public static func cancelled(attempts: Int, endpoint: String?) -> CorsairError {
        CorsairError(code: .cancelled, attempts: attempts, endpoint: endpoint)
    }

    /// The client engine was shut down before or while the request ran.
    public static func engineClosed(attempts: Int = 0, endpoint: String? = nil) -> CorsairError {
        CorsairError(code: .engineClosed, attempts: attempts, endpoint: endpoint)
    }

    /// The endpoint string could not be used.
    ///
    /// - Parameters:
    ///   - endpoint: The rejected endpoint.
    ///   - message: Why it was rejected.
    ///   - underlying: The error from connecting, if any.
    public static func invalidEndpoint(_ endpoint: String, message: String, underlying: (any Error)? = nil) -> CorsairError {
        CorsairError(
            code: .invalidEndpoint,
            endpoint: endpoint,
            message: message,
            underlyingDescription: underlying.map { String(describing: $0) }
        ).keeping(underlying)
    }

    /// A ZeroMQ socket operation failed.
    ///
    /// - Parameters:
    ///   - attempts: How many attempts were sent.
    ///   - endpoint: The endpoint, if known.
    ///   - operation: What was being done, such as `send`.
    ///   - underlying: The socket error.
    public static func socketError(
        attempts: Int,
        endpoint: String?,
        operation: String,
        underlying: (any Error)?
    ) -> CorsairError {
        CorsairError(
            code: .socketError,
            attempts: attempts,
            endpoint: endpoint,
            message: operation,
            underlyingDescription: underlying.map { String(describing: $0) }
        ).keeping(underlying)
    }

    /// The same error with `underlying` kept as ``underlyingError`` (its text stays as it was).
    func keeping(_ underlying: (any Error)?) -> CorsairError {
        var error = self
        error.underlyingError = underlying
        return error
    }
}

extension CorsairError {
    /// Another shard owns the request's key under the server's map of `serverEpoch`.
    ///
    /// - Parameters:
    ///   - attempts: How many attempts were sent.
    ///   - endpoint: The endpoint that answered.
    ///   - ownerShardID: The owner's shard id, `nil` when the reply's detail could not be read.
    ///   - ownerEndpoint: The owner's endpoint, `nil` when the reply's detail could not be read.
    ///   - serverEpoch: The server's shard-map epoch.
    public static func moved(
        attempts: Int,
        endpoint: String?,
        ownerShardID: String?,
        ownerEndpoint: String?,
        serverEpoch: UInt64
    ) -> CorsairError {
        CorsairError(
            code: .moved,
            attempts: attempts,
            endpoint: endpoint,
            ownerEndpoint: ownerEndpoint,
            ownerShardID: ownerShardID,
            serverEpoch: serverEpoch
        )
    }

    /// The server's map stayed older than the request's through every retry.
    public static func serverMapOlder(attempts: Int, endpoint: String?, serverEpoch: UInt64?, message: String = "") -> CorsairError {
        CorsairError(code: .serverMapOlder, attempts: attempts, endpoint: endpoint, message: message, serverEpoch: serverEpoch)
    }

    /// The request was moved more than `redirects` times.
    public static func redirectLoop(redirects: Int, endpoint: String?, message: String) -> CorsairError {
        CorsairError(code: .redirectLoop, attempts: redirects, endpoint: endpoint, message: message)
    }

    /// A moved reply could not be followed; `message` says why.
    public static func invalidRedirect(endpoint: String?, ownerShardID: String?, ownerEndpoint: String?, message: String) -> CorsairError {
        CorsairError(code: .invalidRedirect, endpoint: endpoint, message: message, ownerEndpoint: ownerEndpoint, ownerShardID: ownerShardID)
    }

    /// The engine's or a request's settings are not valid.
    public static func invalidConfiguration(message: String) -> CorsairError {
        CorsairError(code: .invalidConfiguration, message: message)
    }
}

// MARK: - Description

extension CorsairError {
    /// One line: what happened, where, and why the last attempt failed.
    ///
    /// For ``Code/abandoned`` it reads exactly `abandoned after 3 attempts: <why the last failed>`;
    /// the command-line tool prints it and scripts may match it.
    public var description: String {
        var line: String
        let at = self.endpoint.map { " \($0)" } ?? ""
        switch self.code {
        case .abandoned:
            line = "abandoned after \(Self.attemptsPhrase(self.attempts))"
        case .deadlineExceeded:
            line = "deadline exceeded after \(Self.attemptsPhrase(self.attempts))"
            line += self.endpoint.map { " to \($0)" } ?? ""
        case .circuitOpen:
            line = "circuit open" + (self.endpoint.map { " for \($0)" } ?? "")
            line += self.retryAfter.map { "; next probe in \(DurationText.format($0))" } ?? ""
        case .retryBudgetExhausted:
            line = "retry budget exhausted" + (self.endpoint.map { " for \($0)" } ?? "")
            line += " after \(Self.attemptsPhrase(self.attempts))"
        case .overloaded:
            line = "overloaded:" + (at.isEmpty ? " server" : at)
            line += self.retryAfter.map { " asked to retry after \(DurationText.format($0))" } ?? " asked to back off"
        case .wrongShard:
            line = "wrong shard:" + (at.isEmpty ? " server" : at) + " does not know the shard"
            line += self.ownerEndpoint.map { "; owner \($0)" } ?? ""
            line += self.serverEpoch.map { "; server epoch \($0)" } ?? ""
        case .moved:
            line = "moved:" + (at.isEmpty ? " server" : at) + " says"
            line += " shard \(self.ownerShardID ?? "?") at \(self.ownerEndpoint ?? "?") owns the key"
            line += self.serverEpoch.map { " under epoch \($0)" } ?? ""
        case .serverMapOlder:
            line = "server map older:" + (at.isEmpty ? " server" : at)
            line += self.serverEpoch.map { " is at epoch \($0)" } ?? ""
            line += " after \(Self.attemptsPhrase(self.attempts))"
        case .redirectLoop:
            line = "redirect loop after \(self.attempts) redirects" + (self.endpoint.map { ", last from \($0)" } ?? "")
        case .invalidRedirect:
            line = "invalid redirect" + (self.endpoint.map { " from \($0)" } ?? "")
            line += " to shard \(self.ownerShardID ?? "?") at \(self.ownerEndpoint ?? "?")"
        case .deadlineExpiredOnServer:
            line = "deadline expired on server" + at
        case .handlerError:
            line = "handler error" + (self.endpoint.map { " from \($0)" } ?? "")
        case .badRequest:
            line = "bad request" + (self.endpoint.map { " rejected by \($0)" } ?? "")
        case .protocolError:
            line = "protocol error" + (self.endpoint.map { " from \($0)" } ?? "")
        case .authenticationFailed:
            line = "authentication failed" + (self.endpoint.map { " with \($0)" } ?? "")
        case .cancelled:
            line = "cancelled after \(Self.attemptsPhrase(self.attempts))"
        case .engineClosed:
            line = "engine closed"
        case .invalidEndpoint:
            line = "invalid endpoint" + (self.endpoint.map { " '\($0)'" } ?? "")
        case .socketError:
            line = "socket error" + (self.endpoint.map { " on \($0)" } ?? "")
        default:
            line = self.code.description + at
        }
        if !self.message.isEmpty {
            line += ": \(self.message)"
        }
        if let underlying = self.underlyingDescription, !underlying.isEmpty {
            line += " (\(underlying))"
        }
        return Self.oneLine(line)
    }

    private static func attemptsPhrase(_ attempts: Int) -> String {
        attempts == 1 ? "1 attempt" : "\(attempts) attempts"
    }

    /// Server detail text and underlying errors may contain newlines; logs and the CLI want one line.
    private static func oneLine(_ text: String) -> String {
        guard text.contains(where: \.isNewline) else { return text }
        return String(text.map { $0.isNewline ? " " : $0 })
    }
}
