import Corsair

/// Requests per second through a ``ShardedClient`` with a fixed number of requests in flight: each
/// of `concurrency` tasks sends its share in lock-step.
struct ThroughputBench: Sendable {
    let client: ShardedClient
    /// The keys the tasks cycle through; their shards decide where each request goes.
    let keys: [String]
    let bodySize: Int

    /// - Parameter onEngineExecutor: Whether the tasks run on the engine's executor rather than
    ///   the shared concurrency pool.
    func run(requests: Int, concurrency: Int, onEngineExecutor: Bool) async throws -> Double {
        try await withTaskExecutorPreference(onEngineExecutor ? self.client.executor : nil) {
            try await self.measure(requests: requests, concurrency: concurrency)
        }
    }

    private func measure(requests: Int, concurrency: Int) async throws -> Double {
        let body = [[UInt8](repeating: 0x5A, count: self.bodySize)]
        let client = self.client
        let keys = self.keys
        // One untimed request per task first, so that opening sockets is not measured.
        try await Self.spread(requests: concurrency, concurrency: concurrency) { index in
            _ = try await client.request(key: keys[index % keys.count], body: body)
        }
        let start = ContinuousClock.now
        try await Self.spread(requests: requests, concurrency: concurrency) { index in
            _ = try await client.request(key: keys[index % keys.count], body: body)
        }
        let seconds = Statistics.seconds(start.duration(to: .now))
        return seconds > 0 ? Double(requests) / seconds : 0
    }

    /// Runs `requests` calls of `body` from `concurrency` tasks; task `t` takes indices t, t+c, …
    private static func spread(
        requests: Int,
        concurrency: Int,
        _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<concurrency {
                group.addTask {
                    var index = task
                    while index < requests {
                        try await body(index)
                        index += concurrency
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
