import CoreMetrics
import Metrics

/// The server's counters, timer and gauge, made once at startup so the request path only records.
struct ServerMetrics {
    /// One counter per status, indexed by its raw value: no hashing per reply.
    private let replies: [Counter?]
    let handlerDuration: Timer
    let inFlight: Gauge
    let replays: Counter
    let overloadReplies: Counter
    let malformedAnswered: Counter
    let malformedDropped: Counter
    let unroutable: Counter
    let queueFull: Counter
    let rawRequests: Counter
    let rawRefusals: Counter
    let mapRefreshes: Counter
    let authenticationRefusals: Counter

    init(prefix: String) {
        var replies = [Counter?](repeating: nil, count: Int(ReplyStatus.allCases.map(\.rawValue).max() ?? 0) + 1)
        for status in ReplyStatus.allCases {
            replies[Int(status.rawValue)] = Counter(label: "\(prefix)_requests_total", dimensions: [("status", Self.label(status))])
        }
        self.replies = replies
        self.handlerDuration = Timer(label: "\(prefix)_handler_duration")
        self.inFlight = Gauge(label: "\(prefix)_requests_in_flight")
        self.replays = Counter(label: "\(prefix)_replays_total")
        self.overloadReplies = Counter(label: "\(prefix)_overload_replies_total")
        self.malformedAnswered = Counter(label: "\(prefix)_malformed_messages_total", dimensions: [("action", "answered")])
        self.malformedDropped = Counter(label: "\(prefix)_malformed_messages_total", dimensions: [("action", "dropped")])
        self.unroutable = Counter(label: "\(prefix)_unroutable_replies_total", dimensions: [("reason", "unreachable")])
        self.queueFull = Counter(label: "\(prefix)_unroutable_replies_total", dimensions: [("reason", "queue_full")])
        self.rawRequests = Counter(label: "\(prefix)_raw_requests_total")
        self.rawRefusals = Counter(label: "\(prefix)_raw_refusals_total")
        self.mapRefreshes = Counter(label: "\(prefix)_map_refreshes_total")
        self.authenticationRefusals = Counter(label: "\(prefix)_authentication_refusals_total")
    }

    func reply(_ status: ReplyStatus) {
        self.replies[Int(status.rawValue)]?.increment()
    }

    /// Metric-friendly status names: `ok`, `wrong_shard`, `overloaded`, `deadline_expired`, …
    static func label(_ status: ReplyStatus) -> String {
        switch status {
        case .ok: return "ok"
        case .wrongShard: return "wrong_shard"
        case .overloaded: return "overloaded"
        case .deadlineExpired: return "deadline_expired"
        case .handlerError: return "handler_error"
        case .badRequest: return "bad_request"
        case .moved: return "moved"
        case .serverMapOlder: return "server_map_older"
        }
    }
}
