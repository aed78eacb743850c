/// A handler quick enough to answer on the server's I/O thread, without a task of its own.
///
/// The server calls ``handleInline(_:)`` directly from the loop that reads requests, which saves
/// two thread hand-offs per request (to a task and back) — most of a small request's cost. In
/// exchange the handler must be quick and must never block or wait: while it runs, no other
/// request of this server is read or answered. Handlers that do I/O or may wait conform to
/// ``RequestHandler`` alone and run as tasks.
///
/// ```swift
/// struct Upper: InlineRequestHandler {
///     func handleInline(_ request: ServerRequest) throws -> ServerReply {
///         guard let text = request.text else { throw HandlerError("expected UTF-8 text") }
///         return ServerReply(text: text.uppercased())
///     }
/// }
/// ```
public protocol InlineRequestHandler: RequestHandler {
    /// Answers one request at once, on the server's I/O thread.
    /// - Parameter request: The body frames and who sent them.
    /// - Returns: The reply's body frames.
    /// - Throws: Any error; only a ``ClientVisibleError``'s text reaches the client.
    func handleInline(_ request: ServerRequest) throws -> ServerReply
}

extension InlineRequestHandler {
    public func handle(_ request: ServerRequest) async throws -> ServerReply {
        try self.handleInline(request)
    }
}
