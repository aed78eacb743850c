/// Answers the requests a ``CorsairServer`` receives.
///
/// The server calls ``handle(_:)`` in a task of ``CorsairServer/run()``'s task group for each
/// request it admits, so many run at once (up to ``CorsairServer/Configuration/maxInFlight``); a
/// handler shares state between calls behind its own synchronization. Throwing answers the client
/// with status `handlerError`: a ``ClientVisibleError`` (such as ``HandlerError``) sends its text;
/// any other error is logged with the request id and the client sees only
/// ``CorsairServer/handlerFailedDetail``.
///
/// A retried request (same client id and request id) is answered from the server's replay cache,
/// so a handler runs once per logical request even when clients retry.
///
/// ```swift
/// struct Upper: RequestHandler {
///     func handle(_ request: ServerRequest) async throws -> ServerReply {
///         guard let text = request.text else { throw HandlerError("expected UTF-8 text") }
///         return ServerReply(text: text.uppercased())
///     }
/// }
/// ```
public protocol RequestHandler: Sendable {
    /// Answers one request.
    /// - Parameter request: The body frames and who sent them.
    /// - Returns: The reply's body frames.
    /// - Throws: Any error; only a ``ClientVisibleError``'s text reaches the client.
    func handle(_ request: ServerRequest) async throws -> ServerReply
}
