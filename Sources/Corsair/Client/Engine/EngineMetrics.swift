import CoreMetrics
import Metrics

/// The engine's counters and timers, made once so the request path only increments them.
struct EngineMetrics {
    let attempts: Counter
    let timeouts: Counter
    let reconnects: Counter
    let budgetRefusals: Counter
    let breakerRejections: Counter
    let staleReplies: Counter
    /// Replies a pipelined connection dropped: duplicates, unknown request ids, malformed.
    let strayReplies: Counter
    /// Pipelined connections destroyed for silence, or dropped by heartbeats, and rebuilt.
    let connectionsRebuilt: Counter
    let pushbacks: Counter
    let latency: Timer
    let inFlight: Gauge
    private let prefix: String
    /// The `ok` outcome's counter, found without hashing the outcome as nearly every request needs.
    private let succeeded: Counter
    private var outcomes: [String: Counter] = [:]

    init(prefix: String) {
        self.prefix = prefix
        self.attempts = Counter(label: "\(prefix)_attempts_total")
        self.timeouts = Counter(label: "\(prefix)_timeouts_total")
        self.reconnects = Counter(label: "\(prefix)_reconnects_total")
        self.budgetRefusals = Counter(label: "\(prefix)_retry_budget_refusals_total")
        self.breakerRejections = Counter(label: "\(prefix)_breaker_rejections_total")
        self.staleReplies = Counter(label: "\(prefix)_stale_replies_total")
        self.strayReplies = Counter(label: "\(prefix)_stray_replies_total")
        self.connectionsRebuilt = Counter(label: "\(prefix)_connections_rebuilt_total")
        self.pushbacks = Counter(label: "\(prefix)_pushbacks_total")
        self.latency = Timer(label: "\(prefix)_request_duration")
        self.inFlight = Gauge(label: "\(prefix)_requests_in_flight")
        self.succeeded = Counter(label: "\(prefix)_requests_total", dimensions: [("outcome", "ok")])
        self.outcomes["ok"] = self.succeeded
    }

    /// Counts a finished request under its outcome: `ok` without a failure, else the error code's
    /// snake_case name (`circuit_open`), as the server's status labels are written.
    mutating func finished(failure: CorsairError.Code?) {
        guard let failure else {
            self.succeeded.increment()
            return
        }
        let outcome = failure.name
        if let counter = self.outcomes[outcome] {
            counter.increment()
            return
        }
        let counter = Counter(label: "\(self.prefix)_requests_total", dimensions: [("outcome", outcome)])
        self.outcomes[outcome] = counter
        counter.increment()
    }
}
