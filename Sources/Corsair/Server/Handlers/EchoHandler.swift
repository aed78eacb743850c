/// Answers every request with its own body frames. `corsair serve --handler echo`.
public struct EchoHandler: InlineRequestHandler {
    /// An echo handler.
    public init() {}

    public func handleInline(_ request: ServerRequest) throws -> ServerReply {
        ServerReply(request.body)
    }
}
