/// An error a ``RequestHandler`` throws to choose the text the client sees.
///
/// The client's request fails with status `handlerError` and ``message`` as the detail. Any other
/// error works too; its description becomes the detail.
///
/// ```swift
/// throw HandlerError("no such account: \(id)")
/// ```
public struct HandlerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text sent to the client.
    public var message: String

    /// An error with the text the client will see.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { self.message }
}
