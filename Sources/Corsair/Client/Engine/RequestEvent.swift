/// Something that happened to one request, for callers that watch retries as they happen.
///
/// Delivered on the engine's I/O thread: observers must return quickly and never block.
public enum RequestEvent: Sendable, Hashable {
    /// Attempt `attempt` was sent.
    case attemptSent(requestID: UInt64, attempt: Int, endpoint: String)
    /// Attempt `attempt` got no reply before its deadline.
    case timedOut(requestID: UInt64, attempt: Int, endpoint: String)
    /// The socket was closed and a new one opened for the next attempt.
    case reconnecting(requestID: UInt64, attempt: Int, endpoint: String)
    /// The server asked us to retry later.
    case pushedBack(requestID: UInt64, attempt: Int, retryAfter: Duration)
    /// A reply for another request id arrived and was dropped.
    case staleReplyDropped(requestID: UInt64, staleRequestID: UInt64)
    /// The request got its reply.
    case succeeded(requestID: UInt64, attempts: Int, latency: Duration)
    /// A ``ShardedClient`` sent the request on to another shard after a ``ReplyStatus/moved`` answer:
    /// from the endpoint that answered to shard `shardID` at `to`, carrying `epoch`. Spends no
    /// attempt; the next ``attemptSent(requestID:attempt:endpoint:)`` has the new send's request id.
    /// Delivered on the task that made the request, not the I/O thread.
    case redirected(from: String, to: String, shardID: String, epoch: UInt64)
    /// The request ended without a reply; the error says why.
    case abandoned(requestID: UInt64, attempts: Int, reason: String)
}
