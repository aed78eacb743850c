import Corsair
import Foundation

/// Requests per second through a ``ShardedClient`` with a fixed number of requests in flight: each
/// of `concurrency` tasks sends its share in lock-step.
struct ThroughputBench: Sendable {
    let client: ShardedClient
    /// The keys the tasks cycle through; their shards decide where each request goes.
    let keys: [String]
    let bodySize: Int

    /// One timed run: the request rate, and the CPU per request of both sides when a server
    /// process was given to read.
    struct Round: Sendable {
        var rps: Double
        var cpu: CPUPerRequest?
    }

    /// - Parameters:
    ///   - onEngineExecutor: Whether the tasks run on the engine's executor rather than the shared
    ///     concurrency pool.
    ///   - server: The server's process, when it runs in one: the round then also measures the CPU
    ///     this process and the server's spend on the timed requests.
    func run(requests: Int, concurrency: Int, onEngineExecutor: Bool, server: pid_t? = nil) async throws -> Round {
        try await withTaskExecutorPreference(onEngineExecutor ? self.client.executor : nil) {
            try await self.measure(requests: requests, concurrency: concurrency, server: server)
        }
    }

    private func measure(requests: Int, concurrency: Int, server: pid_t?) async throws -> Round {
        let body = [[UInt8](repeating: 0x5A, count: self.bodySize)]
        let client = self.client
        let keys = self.keys
        // One untimed request per task first, so that opening sockets is not measured.
        try await Self.spread(requests: concurrency, concurrency: concurrency) { index in
            _ = try await client.request(key: keys[index % keys.count], body: body)
        }
        let meter = try server.map { try CPUPerRequest.Meter.start(server: $0) }
        let start = ContinuousClock.now
        try await Self.spread(requests: requests, concurrency: concurrency) { index in
            _ = try await client.request(key: keys[index % keys.count], body: body)
        }
        let seconds = Statistics.seconds(start.duration(to: .now))
        let cpu = try meter?.finish(requests: requests)
        return Round(rps: seconds > 0 ? Double(requests) / seconds : 0, cpu: cpu)
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
