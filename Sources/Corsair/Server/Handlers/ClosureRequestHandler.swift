/// A ``RequestHandler`` made from a closure.
///
/// ```swift
/// let handler = ClosureRequestHandler { request in
///     ServerReply(request.body.reversed())
/// }
/// ```
public struct ClosureRequestHandler: RequestHandler {
    private let body: @Sendable (ServerRequest) async throws -> ServerReply

    /// A handler that calls `body` for each request.
    public init(_ body: @escaping @Sendable (ServerRequest) async throws -> ServerReply) {
        self.body = body
    }

    public func handle(_ request: ServerRequest) async throws -> ServerReply {
        try await self.body(request)
    }
}
