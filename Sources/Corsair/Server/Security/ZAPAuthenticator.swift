import Logging
import ZeroMQ

/// The server's ZAP handler (ZeroMQ RFC 27): checks each CURVE client's public key against the
/// allow-list during its handshake.
///
/// libzmq asks the REP socket bound to `inproc://zeromq.zap.01` in the same context, so it lives on
/// the server's I/O thread and joins its poll: no thread of its own. Every request gets an answer,
/// even a malformed one, because libzmq holds the handshake until it does.
final class ZAPAuthenticator {
    static let endpoint = "inproc://zeromq.zap.01"

    let socket: Socket
    private let allowedKeys: Set<CurveKey>
    private let logger: Logger

    /// Keys refused since the last call of ``takeRefusals()``.
    private var refusals = 0

    init(context: Context, allowedKeys: Set<CurveKey>, logger: Logger) throws(ZMQError) {
        let socket = try Socket(context, .rep)
        try socket.bind(Self.endpoint)
        self.socket = socket
        self.allowedKeys = allowedKeys
        self.logger = logger
    }

    /// Answers every ZAP request waiting now.
    func handleReadable() {
        while true {
            let request: [[UInt8]]
            do {
                request = try self.socket.receiveMultipart(dontWait: true)
            } catch {
                if error.code != .wouldBlock {
                    self.logger.warning("ZAP receive failed", metadata: ["error": "\(error)"])
                }
                return
            }
            let reply = self.answer(request)
            do {
                try self.socket.send(multipart: reply, dontWait: true)
            } catch {
                self.logger.warning("ZAP reply failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Returns and resets the count of refused handshakes.
    func takeRefusals() -> Int {
        defer { self.refusals = 0 }
        return self.refusals
    }

    /// The reply frames for one request: version, request id, status code, status text, user id, metadata.
    func answer(_ request: [[UInt8]]) -> [[UInt8]] {
        let requestID = request.count > 1 ? request[1] : []
        func reply(_ status: String, _ text: String, userID: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), requestID, Array(status.utf8), Array(text.utf8), Array(userID.utf8), []]
        }
        guard request.count >= 6, request[0] == Array("1.0".utf8) else {
            self.logger.warning("malformed ZAP request", metadata: ["frames": "\(request.count)"])
            return reply("500", "malformed ZAP request")
        }
        let address = String(decoding: request[3], as: UTF8.self)
        let mechanism = String(decoding: request[5], as: UTF8.self)
        guard mechanism == "CURVE", request.count >= 7, let key = CurveKey(bytes: request[6]) else {
            self.refusals += 1
            self.logger.warning(
                "refused a client without a CURVE key",
                metadata: ["mechanism": "\(mechanism)", "address": "\(address)"]
            )
            return reply("400", "CURVE required")
        }
        guard self.allowedKeys.contains(key) else {
            self.refusals += 1
            self.logger.warning(
                "refused a client key not on the allow-list",
                metadata: ["client-key": "\(key.z85)", "address": "\(address)"]
            )
            return reply("400", "client key not allowed")
        }
        self.logger.debug("accepted a client key", metadata: ["client-key": "\(key.z85)", "address": "\(address)"])
        return reply("200", "OK", userID: key.z85)
    }
}
