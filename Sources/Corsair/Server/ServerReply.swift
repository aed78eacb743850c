/// What a ``RequestHandler`` answers: the reply's body frames.
///
/// ```swift
/// return ServerReply(text: "OK")
/// return ServerReply([header, payload])
/// ```
public struct ServerReply: Sendable, Hashable {
    /// The body frames; the server puts the reply header in front of them (not for raw requests).
    public var body: [[UInt8]]

    /// A reply of several frames.
    public init(_ body: [[UInt8]]) {
        self.body = body
    }

    /// A reply of one frame.
    public init(bytes: [UInt8]) {
        self.body = [bytes]
    }

    /// A reply of one frame of UTF-8 text.
    public init(text: String) {
        self.body = [Array(text.utf8)]
    }

    /// A reply with no body frames.
    public static let empty = ServerReply([])
}
