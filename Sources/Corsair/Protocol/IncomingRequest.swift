/// A frame list received on a server's ROUTER socket, classified.
///
/// ```swift
/// switch IncomingRequest.parse(frames: frames) {
/// case .corsair(let envelope, let header, let body): ...
/// case .raw(let envelope, let body): ...
/// case .malformed(let envelope?, let requestID?, let error): // answer with .badRequest
/// case .malformed: // cannot be answered; drop
/// }
/// ```
public enum IncomingRequest: Sendable, Hashable {
    /// A Corsair request: the routing envelope (ending with the empty delimiter), its header and body.
    case corsair(envelope: [[UInt8]], header: RequestHeader, body: [[UInt8]])
    /// A request whose first content frame is not a Corsair header: every content frame is the body,
    /// and the reply is plain frames.
    case raw(envelope: [[UInt8]], body: [[UInt8]])
    /// A request that cannot be served.
    ///
    /// With no envelope (no delimiter frame) it cannot be answered and is dropped. With an envelope and a
    /// request id it is answered with ``ReplyStatus/badRequest``; with an envelope and no request id
    /// there is nothing a client could match the answer to, so it is dropped as well.
    case malformed(envelope: [[UInt8]]?, requestID: RequestID?, error: ProtocolError)

    /// Splits a ROUTER frame list into the routing envelope and the content, and reads the content.
    ///
    /// The envelope is every frame up to and including the first empty frame, so multi-hop envelopes
    /// (several routing ids from intermediate ROUTER/DEALER proxies) are kept whole. Never traps.
    public static func parse(frames: [[UInt8]]) -> IncomingRequest {
        guard let delimiter = frames.firstIndex(where: { $0.isEmpty }) else {
            return .malformed(
                envelope: nil,
                requestID: nil,
                error: ProtocolError(code: .missingDelimiter, message: "request has no empty delimiter frame")
            )
        }
        let envelope = Array(frames[...delimiter])
        let contentStart = delimiter + 1
        guard contentStart < frames.count else {
            return .malformed(
                envelope: envelope,
                requestID: nil,
                error: ProtocolError(code: .emptyMessage, message: "request has no frames after its envelope")
            )
        }
        let first = frames[contentStart]
        guard Frame.isCorsairHeader(first) else {
            return .raw(envelope: envelope, body: Array(frames[contentStart...]))
        }
        do {
            let header = try RequestHeader.decode(first)
            try WireFormat.checkBodyCount(
                declared: header.bodyFrameCount,
                actual: frames.count - contentStart - 1,
                what: "request",
                requestID: header.requestID
            )
            return .corsair(envelope: envelope, header: header, body: Array(frames[(contentStart + 1)...]))
        } catch {
            return .malformed(envelope: envelope, requestID: error.requestID, error: error)
        }
    }
}
