/// What a server did with a request; byte 8 of a reply header.
///
/// See docs/PROTOCOL.md for what a client does with each.
public enum ReplyStatus: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The handler ran; the body is its answer.
    case ok = 0
    /// This server does not own the shard; the detail is the owner's endpoint, if known.
    case wrongShard = 1
    /// The server shed the request; try again after the reply's retry-after.
    case overloaded = 2
    /// The request's deadline had passed when the server got to it; the handler did not run.
    case deadlineExpired = 3
    /// The handler failed; the detail is its message.
    case handlerError = 4
    /// The request did not follow the protocol; the detail says why.
    case badRequest = 5

    public var description: String {
        switch self {
        case .ok: return "ok"
        case .wrongShard: return "wrong shard"
        case .overloaded: return "overloaded"
        case .deadlineExpired: return "deadline expired"
        case .handlerError: return "handler error"
        case .badRequest: return "bad request"
        }
    }
}
