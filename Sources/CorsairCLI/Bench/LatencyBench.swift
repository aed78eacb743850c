import Corsair
import Histogram

/// One client's lock-step round trips through the Corsair engine to an in-process Corsair server
/// echoing the body: the counterpart of ZMQBaseline's `rtt`.
struct LatencyBench: Sendable {
    let engine: ClientEngine
    let endpoint: Endpoint

    /// Untimed warm-up round trips, then `count` timed ones, from a task on the engine's executor
    /// or (`onEngineExecutor` false) on the shared concurrency pool.
    func run(size: Int, count: Int, warmup: Int, onEngineExecutor: Bool) async throws -> LatencySummary {
        try await withTaskExecutorPreference(onEngineExecutor ? self.engine.executor : nil) {
            try await self.measure(size: size, count: count, warmup: warmup)
        }
    }

    private func measure(size: Int, count: Int, warmup: Int) async throws -> LatencySummary {
        let body = [[UInt8](repeating: 0x5A, count: size)]
        let clock = ContinuousClock()
        for _ in 0..<warmup {
            _ = try await self.engine.request(body, to: self.endpoint)
        }
        var histogram = LatencySummary.histogram()
        for _ in 0..<count {
            let start = clock.now
            let reply = try await self.engine.request(body, to: self.endpoint)
            let elapsed = start.duration(to: clock.now)
            guard reply.body.first?.count == size else {
                throw BenchError("echo of \(size) bytes came back as \(reply.body.first?.count ?? 0)")
            }
            _ = histogram.record(Statistics.nanoseconds(elapsed))
        }
        return LatencySummary(nanoseconds: histogram)
    }
}
