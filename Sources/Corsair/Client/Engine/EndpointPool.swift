import CoreMetrics
import DequeModule
import Metrics
import ZeroMQ

/// The sockets, waiting calls, retry budget and circuit breaker of one endpoint (and one mode).
///
/// Owned by the I/O thread.
final class EndpointPool {
    struct Key: Hashable {
        let endpoint: Endpoint
        let mode: RetryPolicy.Mode
    }

    let key: Key
    var idle: [ClientSocket] = []
    /// Pipelined mode: the one DEALER connection every request to the endpoint shares.
    var connection: ClientSocket?
    var open = 0
    let limit: Int
    /// Calls waiting for a socket, served in FIFO order (retries go first).
    var waiting: Deque<PendingCall> = []
    /// The retry budget and circuit breaker, which the state machine consults.
    var guards: EngineStateMachine.Guards
    let breakerGauge: Gauge
    /// Pipelined mode: the heartbeats its connections use, from the policy of the call that made the pool.
    let heartbeat: RetryPolicy.Heartbeat?

    init(key: Key, limit: Int, policy: RetryPolicy, metricsPrefix: String) {
        self.key = key
        self.limit = max(1, limit)
        self.guards = EngineStateMachine.Guards(policy: policy)
        self.heartbeat = policy.heartbeat
        self.breakerGauge = Gauge(
            label: "\(metricsPrefix)_breaker_open",
            dimensions: [("endpoint", key.endpoint.address)]
        )
    }

    var endpoint: Endpoint { self.key.endpoint }
}
