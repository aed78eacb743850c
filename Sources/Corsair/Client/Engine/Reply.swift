/// A successful reply and how it was obtained.
public struct Reply: Sendable {
    /// The reply's body frames.
    public var body: [[UInt8]]
    /// How many sends it took, 1 when the first attempt was answered.
    public var attempts: Int
    /// The request id the reply answered (0 in raw mode).
    public var requestID: UInt64
    /// The shard-map epoch the server reported (0 in raw mode or when the server has no map).
    public var serverEpoch: UInt64
    /// From the call to the reply, retries and waits included.
    public var latency: Duration

    /// The body frames joined into one array, for single-frame replies.
    public var bytes: [UInt8] {
        self.body.count == 1 ? self.body[0] : self.body.flatMap { $0 }
    }
}
