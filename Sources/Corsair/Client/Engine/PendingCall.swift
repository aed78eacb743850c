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

        /// The policy the call runs under: a raw request carries no request id to match a
        /// pipelined reply by, so it goes the Lazy Pirate way instead.
        var effectivePolicy: RetryPolicy {
            guard self.options.raw, self.policy.mode == .pipelined else { return self.policy }
            var policy = self.policy
            policy.mode = .recreate
            return policy
        }
    }

    let requestID: UInt64
    let endpoint: Endpoint
    private(set) var body: [[UInt8]]
    let options: RequestOptions
    let cancellation: CancellationFlag?
    private var completion: (@Sendable (Result<Reply, CorsairError>) -> Void)?

    /// The call's part of the engine's state machine: state, attempts, deadlines.
    var decisions: EngineStateMachine.Call
    /// The socket this call holds, if any.
    var socket: ClientSocket?
    /// The pool of the call's endpoint: kept so that the request path does not hash the endpoint
    /// again to find it. Strong, because an unowned load costs atomic operations on every use; the
    /// pool holds the call back only while it waits in the queue, which it leaves before it ends.
    let pool: EndpointPool
    /// Set while the call waits in its pipelined connection's send queue.
    var awaitingTransmit = false
    /// Bumped whenever the call's pending timer is replaced, so that stale heap entries are skipped.
    var timerGeneration: UInt64 = 0

    init(_ submission: Submission, pool: EndpointPool) {
        self.requestID = submission.requestID
        self.endpoint = submission.endpoint
        self.body = submission.body
        self.options = submission.options
        self.cancellation = submission.cancellation
        self.completion = submission.completion
        self.pool = pool
        self.decisions = EngineStateMachine.Call(
            policy: submission.effectivePolicy,
            endpoint: submission.endpoint.address,
            submittedAt: submission.submittedAt
        )
    }

    var policy: RetryPolicy { self.decisions.policy }
    var submittedAt: ContinuousClock.Instant { self.decisions.submittedAt }
    var state: EngineStateMachine.Call.State { self.decisions.state }
    var attempt: Int { self.decisions.attempt }
    var isFinished: Bool { self.completion == nil }

    /// Ends the call: resumes its caller once, and drops the body so stale timers hold little.
    func finish(_ result: Result<Reply, CorsairError>) {
        guard let completion = self.completion else { return }
        self.completion = nil
        self.body = []
        self.socket = nil
        self.timerGeneration &+= 1
        completion(result)
    }
}
