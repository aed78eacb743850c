/// One request as the I/O thread tracks it, from submission to its one completion.
///
/// Owned by the I/O thread; only ``Submission`` crosses threads.
final class PendingCall {
    /// What a caller hands over: everything Sendable the I/O thread needs to run the request.
    ///
    /// A class, made once by the caller and kept by the call: it holds two retry policies, the
    /// options and the body, and as a struct every hand-over (the inbox, admission, the call) copied
    /// all of it, retaining each reference inside.
    final class Submission: Sendable {
        let requestID: UInt64
        let endpoint: Endpoint
        let body: [[UInt8]]
        let policy: RetryPolicy
        let options: RequestOptions
        let submittedAt: ContinuousClock.Instant
        let cancellation: CancellationFlag?
        let completion: @Sendable (Result<Reply, CorsairError>) -> Void

        init(
            requestID: UInt64,
            endpoint: Endpoint,
            body: [[UInt8]],
            policy: RetryPolicy,
            options: RequestOptions,
            submittedAt: ContinuousClock.Instant,
            cancellation: CancellationFlag?,
            completion: @escaping @Sendable (Result<Reply, CorsairError>) -> Void
        ) {
            self.requestID = requestID
            self.endpoint = endpoint
            self.body = body
            self.policy = policy
            self.options = options
            self.submittedAt = submittedAt
            self.cancellation = cancellation
            self.completion = completion
        }

        /// The mode the call runs in: a raw request carries no request id to match a pipelined
        /// reply by, so it goes the Lazy Pirate way instead.
        var effectiveMode: RetryPolicy.Mode {
            self.options.raw && self.policy.mode == .pipelined ? .recreate : self.policy.mode
        }

        /// The policy the call runs under: ``policy`` in ``effectiveMode``.
        var effectivePolicy: RetryPolicy {
            let mode = self.effectiveMode
            guard mode != self.policy.mode else { return self.policy }
            var policy = self.policy
            policy.mode = mode
            return policy
        }
    }

    /// What the caller handed over, kept whole rather than copied field by field.
    private let submission: Submission
    private var finished = false

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
    /// The call's place in the engine's ``CallTable``, which timers name instead of the call.
    var slot: Int32 = -1
    /// The sequence number of the call's one live timer, so that replaced ones are skipped.
    var timerSequence: UInt64 = 0

    init(_ submission: Submission, pool: EndpointPool) {
        self.submission = submission
        self.pool = pool
        self.decisions = EngineStateMachine.Call(
            policy: submission.effectivePolicy,
            endpoint: submission.endpoint.address,
            submittedAt: submission.submittedAt
        )
    }

    var requestID: UInt64 { self.submission.requestID }
    var endpoint: Endpoint { self.submission.endpoint }
    var body: [[UInt8]] { self.submission.body }
    var options: RequestOptions { self.submission.options }
    var cancellation: CancellationFlag? { self.submission.cancellation }
    var policy: RetryPolicy { self.decisions.policy }
    var submittedAt: ContinuousClock.Instant { self.decisions.submittedAt }
    var state: EngineStateMachine.Call.State { self.decisions.state }
    var attempt: Int { self.decisions.attempt }
    var isFinished: Bool { self.finished }

    /// Ends the call: resumes its caller once.
    func finish(_ result: Result<Reply, CorsairError>) {
        guard !self.finished else { return }
        self.finished = true
        self.socket = nil
        self.submission.completion(result)
    }
}
