/// An error a ``RequestHandler`` throws to choose the text the client sees.
///
/// The client's request fails with status `handlerError` and ``message`` as the detail. Other errors
/// reach the client as text only when they conform to ``ClientVisibleError``, as this one does; the
/// rest are logged on the server and the client sees a generic detail.
///
/// ```swift
/// throw HandlerError("no such account: \(id)")
/// ```
public struct HandlerError: ClientVisibleError, Hashable, Sendable, CustomStringConvertible {
    /// The text sent to the client.
    public var message: String

    /// An error with the text the client will see.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { self.message }

    public var clientMessage: String { self.message }
}
