import Corsair

/// What `corsair load` counts for one shard, or for the whole run.
struct LoadTally: Sendable {
    var sent = 0
    var succeeded = 0
    var failed = 0
    /// Requests the server answered, with a reply or a refusal (overloaded, wrong shard, handler
    /// error…); the others timed out, were refused in the handshake or never left the client.
    var answered = 0
    /// Attempts beyond the first, over every request that ended.
    var retries = 0
    /// Failed requests by error kind: `abandoned`, `circuit_open`, `wrong_shard`…
    var errors: [String: Int] = [:]
    /// Successful requests by the attempt that succeeded: element 0 for the first attempt.
    var succeededByAttempt: [Int] = []
    /// Latencies of successful requests.
    var latency = LatencyHistogram()
    /// The first failure that says why a shard failed: not a cancellation or an open breaker,
    /// which only follow from an earlier failure (the latest of those when there is nothing else).
    var telling: CorsairError?

    /// Requests that ended in neither a reply nor a typed error.
    var lost: Int { self.sent - self.succeeded - self.failed }

    /// Requests that ended, either way.
    var ended: Int { self.succeeded + self.failed }

    mutating func succeed(attempts: Int, latency: Duration) {
        self.succeeded += 1
        self.answered += 1
        self.retries += max(0, attempts - 1)
        let index = max(0, attempts - 1)
        if index >= self.succeededByAttempt.count {
            self.succeededByAttempt.append(contentsOf: repeatElement(0, count: index + 1 - self.succeededByAttempt.count))
        }
        self.succeededByAttempt[index] += 1
        self.latency.record(latency)
    }

    mutating func fail(_ error: CorsairError) {
        self.failed += 1
        self.retries += max(0, error.attempts - 1)
        if Self.isAnswer(error) {
            self.answered += 1
        }
        self.errors[WorkloadBook.kind(of: error), default: 0] += 1
        if self.telling.map(Self.followsFromEarlier) ?? true {
            self.telling = error
        }
    }

    /// Whether a failure only follows from an earlier one.
    private static func followsFromEarlier(_ error: CorsairError) -> Bool {
        error.code == .cancelled || error.code == .circuitOpen
    }

    /// Adds another tally's counts, for the run's total.
    mutating func add(_ other: LoadTally) {
        self.sent += other.sent
        self.succeeded += other.succeeded
        self.failed += other.failed
        self.answered += other.answered
        self.retries += other.retries
        self.errors.merge(other.errors, uniquingKeysWith: +)
        for (index, count) in other.succeededByAttempt.enumerated() {
            if index >= self.succeededByAttempt.count {
                self.succeededByAttempt.append(0)
            }
            self.succeededByAttempt[index] += count
        }
        self.latency.add(other.latency)
        self.telling = self.telling ?? other.telling
    }

    /// Whether the failure came from a server's answer rather than from silence or the client.
    ///
    /// Listed the other way round (what is not an answer), so that a code added later, such as a
    /// redirect, counts as the answer it almost always is.
    static func isAnswer(_ error: CorsairError) -> Bool {
        switch error.code {
        case .abandoned, .deadlineExceeded, .circuitOpen, .retryBudgetExhausted, .authenticationFailed, .cancelled,
             .engineClosed, .invalidEndpoint, .socketError, .invalidConfiguration:
            return false
        default:
            return true
        }
    }
}
