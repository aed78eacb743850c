/// What a server did with a request; byte 8 of a reply header.
///
/// See docs/PROTOCOL.md for what a client does with each.
public enum ReplyStatus: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The handler ran; the body is its answer.
    case ok = 0
    /// A shard-level request named a shard this server is not and its map does not list; the detail is
    /// empty. (Keyed requests and shards the map lists get ``moved``.)
    case wrongShard = 1
    /// The server shed the request; try again after the reply's retry-after.
    case overloaded = 2
    /// The request's deadline had passed when the server got to it; the handler did not run.
    case deadlineExpired = 3
    /// The handler failed; the detail is its message.
    case handlerError = 4
    /// The request did not follow the protocol; the detail says why.
    case badRequest = 5
    /// Another shard owns the request's key (or is the shard it named) under the server's map; the
    /// detail is that shard's id and endpoint (see ``ReplyHeader/movedTarget``), the epoch the map's.
    case moved = 6
    /// The request's epoch is newer than the server's map, even after the server reloaded its file:
    /// retry after the reply's retry-after; never a redirect backwards.
    case serverMapOlder = 7

    public var description: String {
        switch self {
        case .ok: return "ok"
        case .wrongShard: return "wrong shard"
        case .overloaded: return "overloaded"
        case .deadlineExpired: return "deadline expired"
        case .handlerError: return "handler error"
        case .badRequest: return "bad request"
        case .moved: return "moved"
        case .serverMapOlder: return "server map older"
        }
    }
}
