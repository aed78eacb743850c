/// One request as the I/O thread tracks it, from submission to its one completion.
///
/// Owned by the I/O thread; only ``Submission`` crosses threads.
final class PendingCall {
    /// What a caller hands over: everything Sendable the I/O thread needs to run the request.
    struct Submission: Sendable {
        let requestID: UInt64
        let endpoint: Endpoint
        let body: [[UInt8]]
        let policy: RetryPolicy
        let options: RequestOptions
        let submittedAt: ContinuousClock.Instant
        let cancellation: CancellationFlag?
        let completion: @Sendable (Result<Reply, CorsairError>) -> Void
    }

    enum State {
        /// Waiting for a socket of its endpoint's pool.
        case waitingForSocket
        /// Sent; the reply is due by the attempt deadline.
        case inFlight
        /// Between attempts.
        case backingOff
        case finished
    }

    let requestID: UInt64
    let endpoint: Endpoint
    private(set) var body: [[UInt8]]
    let policy: RetryPolicy
    let options: RequestOptions
    let submittedAt: ContinuousClock.Instant
    let cancellation: CancellationFlag?
    let overallDeadline: ContinuousClock.Instant?
    private var completion: (@Sendable (Result<Reply, CorsairError>) -> Void)?

    var state: State = .waitingForSocket
    /// Sends made so far.
    var attempt = 0
    /// The socket this call holds, if any.
    var socket: ClientSocket?
    /// The pool of the call's endpoint, once admitted: kept so that the request path does not
    /// hash the endpoint again to find it.
    var pool: EndpointPool?
    var attemptDeadline: ContinuousClock.Instant?
    /// Bumped whenever the call's pending timer is replaced, so that stale heap entries are skipped.
    var timerGeneration: UInt64 = 0
    var lastFailure = "no attempt was made"
    var previousDelay: Duration?
    var lastRetryAfter: Duration?
    var isBreakerProbe = false
    /// Whether any reply came back from the endpoint, which tells the breaker the endpoint lives.
    var gotReply = false

    init(_ submission: Submission) {
        self.requestID = submission.requestID
        self.endpoint = submission.endpoint
        self.body = submission.body
        self.policy = submission.policy
        self.options = submission.options
        self.submittedAt = submission.submittedAt
        self.cancellation = submission.cancellation
        self.completion = submission.completion
        self.overallDeadline = submission.policy.deadline.map { submission.submittedAt.advanced(by: $0) }
    }

    var isFinished: Bool { self.state == .finished }

    /// Ends the call: resumes its caller once, and drops the body so stale timers hold little.
    func finish(_ result: Result<Reply, CorsairError>) {
        guard let completion = self.completion else { return }
        self.completion = nil
        self.state = .finished
        self.body = []
        self.socket = nil
        self.timerGeneration &+= 1
        completion(result)
    }
}
