import Corsair
import Foundation
import ZeroMQ

/// The command line's reading of library errors: what a person should change, when it can be guessed.
///
/// The guesses are made from what the library reports as values (an error's code, the
/// `HandshakeFailure` or `ProtocolError` underneath) and from the arguments given,
/// never from an error's text.
extension CommandLineFailure {
    /// Where a request's CURVE settings came from, so a hint can name the right thing to change.
    enum CurveSource {
        /// `--server-public-key` on the command line.
        case option
        /// `server_public_key` of the shard in a config file.
        case config(String)

        var name: String {
            switch self {
            case .option: return "--server-public-key"
            case .config(let path): return "the shard's server_public_key in \(path)"
            }
        }
    }

    private static func serverRequiresCurve(_ prefix: String, curveSource: CurveSource, status: Int32) -> CommandLineFailure {
        CommandLineFailure("\(prefix): the server requires CURVE", hint: "pass \(curveSource.name)", status: status)
    }

    /// A failed request, as the line `corsair request` and `corsair load` print.
    ///
    /// - Parameters:
    ///   - error: The request's typed error.
    ///   - usedCurve: Whether the request went out with a server public key.
    ///   - curveSource: Where that key comes from (or would go).
    ///   - raw: Whether the request was sent with `--raw`.
    ///   - serverAcceptsPlainText: For a CURVE handshake that failed without detail, what
    ///     ``CurveProbe`` found, if it was asked.
    static func request(
        _ error: CorsairError,
        usedCurve: Bool,
        curveSource: CurveSource,
        raw: Bool,
        serverAcceptsPlainText: Bool? = nil
    ) -> CommandLineFailure {
        let status = error.code == .invalidEndpoint || error.code == .invalidConfiguration ? Self.unusable : Self.failed
        switch error.code {
        case .invalidEndpoint:
            let endpoint = error.endpoint ?? ""
            let reason = (error.underlyingError as? ZMQError).map { "\($0.code)" } ?? error.message
            if let hint = Self.endpointHint(endpoint) {
                return CommandLineFailure("invalid endpoint '\(endpoint)': no transport", hint: hint, status: status)
            }
            return CommandLineFailure("invalid endpoint '\(endpoint)': \(reason)", status: status)
        case .authenticationFailed:
            let prefix = "authentication failed" + (error.endpoint.map { " with \($0)" } ?? "")
            switch (error.underlyingError as? HandshakeFailure)?.code {
            case .noDetail? where usedCurve && serverAcceptsPlainText == true, .mechanismMismatch? where usedCurve:
                return CommandLineFailure("\(prefix): the server does not use CURVE", hint: "leave out \(curveSource.name)", status: status)
            case .mechanismMismatch?:
                return Self.serverRequiresCurve(prefix, curveSource: curveSource, status: status)
            case .noDetail? where !usedCurve:
                // A plain-text client's handshake that fails without detail is a CURVE server
                // hanging up before its greeting named the mechanism (see the engine's count).
                return Self.serverRequiresCurve(prefix, curveSource: curveSource, status: status)
            case .authenticationRefused?:
                return CommandLineFailure(
                    "\(prefix): the server refused this client's key",
                    hint: "pass --client-key-file with a keypair on the server's allow-list",
                    status: status
                )
            case .noDetail?, .cryptographic?:
                return CommandLineFailure(
                    "\(prefix): the CURVE handshake failed",
                    hint: "check that \(curveSource.name) is the server's public key",
                    status: status
                )
            default:
                return CommandLineFailure(Self.plain(error), status: status)
            }
        case .protocolError where !raw:
            let code = (error.underlyingError as? ProtocolError)?.code
            if code == .badMagic || code == .wrongMessageType {
                return CommandLineFailure(
                    "protocol error" + (error.endpoint.map { " from \($0)" } ?? "") + ": the reply has no Corsair header (a plain REQ/REP peer?)",
                    hint: "pass --raw to send and accept plain frames",
                    status: status
                )
            }
            return CommandLineFailure(Self.plain(error), status: status)
        default:
            return CommandLineFailure(Self.plain(error), status: status)
        }
    }

    /// ``request(_:usedCurve:curveSource:raw:serverAcceptsPlainText:)``, first asking the server
    /// with a plain-text handshake when a CURVE handshake failed without detail, since that is all
    /// a CURVE client sees of both a wrong server key and a server without CURVE.
    static func diagnosedRequest(_ error: CorsairError, usedCurve: Bool, curveSource: CurveSource, raw: Bool) async -> CommandLineFailure {
        var acceptsPlainText: Bool?
        if usedCurve, error.code == .authenticationFailed, (error.underlyingError as? HandshakeFailure)?.code == .noDetail,
           let endpoint = error.endpoint {
            acceptsPlainText = await CurveProbe.acceptsPlainText(endpoint)
        }
        return Self.request(error, usedCurve: usedCurve, curveSource: curveSource, raw: raw, serverAcceptsPlainText: acceptsPlainText)
    }

    /// The error's own line, with a libzmq error underneath shortened to its code and errno.
    static func plain(_ error: CorsairError) -> String {
        var shown = error
        if let zmq = error.underlyingError as? ZMQError {
            shown.underlyingDescription = "\(zmq.code), errno \(zmq.errno)"
        }
        return shown.description
    }

    /// `did you mean tcp://127.0.0.1:5601?` for an endpoint written without its transport.
    static func endpointHint(_ endpoint: String) -> String? {
        guard !endpoint.contains("://"), !endpoint.isEmpty else { return nil }
        if endpoint.hasPrefix("/") {
            return "did you mean ipc://\(endpoint)?"
        }
        if let colon = endpoint.lastIndex(of: ":"), endpoint[endpoint.index(after: colon)...].allSatisfy(\.isNumber) {
            let host = endpoint[..<colon]
            return "did you mean tcp://\(host.isEmpty ? "127.0.0.1" : String(host))\(endpoint[colon...])?"
        }
        return "an endpoint names its transport: tcp://HOST:PORT, ipc://PATH or inproc://NAME"
    }

    /// A refused endpoint, before any request: the same line a request would end in.
    static func invalidEndpoint(_ endpoint: String) -> CommandLineFailure? {
        guard let hint = Self.endpointHint(endpoint) else { return nil }
        return CommandLineFailure("invalid endpoint '\(endpoint)': no transport", hint: hint, status: Self.unusable)
    }

    /// A key file that could not be used, with a hint when the file given is the wrong one.
    ///
    /// - Parameters:
    ///   - error: Why the file was refused.
    ///   - option: The option that named it, such as `--curve-secret-key-file`.
    static func keyFile(_ error: CorsairServerError, option: String, status: Int32) -> CommandLineFailure {
        if error.code == .wrongKeyHalf, let secretPath = error.path {
            return CommandLineFailure(error.message, hint: "\(option) takes the secret key: pass \(secretPath)", status: status)
        }
        return CommandLineFailure(error.message, status: status)
    }

    /// A `--client-key-file PREFIX` whose `PREFIX.key` could not be used. Given `client.key` or
    /// `client.pub` where `client.key` exists, the hint names the prefix that was meant.
    static func clientKeyFile(prefix: String, _ error: CorsairServerError) -> CommandLineFailure {
        for suffix in [".key", ".pub"] where prefix.hasSuffix(suffix) {
            let stem = String(prefix.dropLast(suffix.count))
            if FileManager.default.fileExists(atPath: stem + ".key") {
                return CommandLineFailure(
                    error.message,
                    hint: "--client-key-file takes the prefix given to keygen --out: did you mean --client-key-file \(stem)?",
                    status: Self.unusable
                )
            }
        }
        return Self.keyFile(error, option: "--client-key-file", status: Self.unusable)
    }

    /// A server that could not start: a key file refused (with the file meant, for the public
    /// half of a pair), an endpoint without its transport, or the error's own line; exit 1.
    static func server(_ error: any Error) -> CommandLineFailure {
        guard let error = error as? CorsairServerError else { return CommandLineFailure("\(error)") }
        if error.code == .bindFailed, let endpoint = error.endpoint, let hint = Self.endpointHint(endpoint) {
            return CommandLineFailure(error.message, hint: hint)
        }
        return Self.keyFile(error, option: "--curve-secret-key-file", status: Self.failed)
    }
}
