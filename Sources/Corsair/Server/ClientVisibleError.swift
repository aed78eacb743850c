/// An error whose text a ``RequestHandler`` means for the client.
///
/// When a handler throws one, the client's request fails with status `handlerError` and
/// ``clientMessage`` as the detail (a raw client gets `ERR <clientMessage>`). Any other error stays
/// on the server: it is logged with the request id, and the client is told only
/// ``CorsairServer/handlerFailedDetail``, so what a database driver or a file path says about the
/// server never reaches a caller. ``HandlerError`` is the ready-made one.
///
/// ```swift
/// struct AccountClosed: ClientVisibleError {
///     var id: Int
///     var clientMessage: String { "account \(id) is closed" }
/// }
/// ```
public protocol ClientVisibleError: Error {
    /// The text sent to the client.
    var clientMessage: String { get }
}
