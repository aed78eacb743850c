/// Answers every request with its own body frames. `corsair serve --handler echo`.
public struct EchoHandler: RequestHandler {
    /// An echo handler.
    public init() {}

    public func handle(_ request: ServerRequest) async throws -> ServerReply {
        ServerReply(request.body)
    }
}
