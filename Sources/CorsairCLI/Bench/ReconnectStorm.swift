import Corsair

/// Forces a number of timeout-and-reconnect cycles through a client engine and reports the
/// process's descriptors and memory before and after: the Lazy Pirate's resource hygiene check.
enum ReconnectStorm {
    struct Report: Sendable, Codable {
        var reconnects: Int
        var attempts: Int
        var fdsBefore: Int
        var fdsAfter: Int
        var rssBeforeKiB: Int
        var rssAfterKiB: Int
        var seconds: Double

        enum CodingKeys: String, CodingKey {
            case reconnects, attempts, seconds
            case fdsBefore = "fds_before"
            case fdsAfter = "fds_after"
            case rssBeforeKiB = "rss_before_kib"
            case rssAfterKiB = "rss_after_kib"
        }
    }

    /// Runs `reconnects` forced reconnects: `concurrency` requests, each of many attempts with a
    /// 1 ms timeout against a peer that never answers.
    ///
    /// With `warmUp` above 0, a first storm of that many reconnects runs before the baseline is
    /// taken, so that the baseline holds what `concurrency` requests in flight need at their peak
    /// (libzmq's and the engine's one-time growth) and before/after compares like with like.
    static func run(reconnects: Int, concurrency: Int = 100, detectHandshakeFailures: Bool = true, warmUp: Int = 0) async throws -> Report {
        let peer = try await SilentPeer.start()
        defer { peer.stop() }
        let endpoint = Endpoint(peer.endpoint)
        let perRequest = max(1, reconnects / concurrency)
        let policy = RetryPolicy(
            attempts: perRequest + 1,
            attemptTimeout: .milliseconds(1),
            deadline: nil,
            backoff: Backoff(initial: .zero, maximum: .zero, multiplier: 1, jitter: .none),
            budget: nil,
            circuitBreaker: nil
        )
        let engine = try ClientEngine(configuration: .init(retry: policy, detectHandshakeFailures: detectHandshakeFailures))
        // Warm up: the engine's thread, context, wake-up and one socket's worth of libzmq state.
        _ = try? await engine.request([[0]], to: endpoint, options: .init(retry: RetryPolicy(attempts: 1, attemptTimeout: .milliseconds(1), deadline: nil, budget: nil, circuitBreaker: nil)))
        if warmUp > 0 {
            var warmUpPolicy = policy
            warmUpPolicy.attempts = max(1, warmUp / concurrency) + 1
            _ = await self.storm(engine, endpoint, concurrency: concurrency, options: RequestOptions(retry: warmUpPolicy))
        }
        let before = await settled()
        let start = ContinuousClock.now
        let attempts = await self.storm(engine, endpoint, concurrency: concurrency, options: RequestOptions())
        let seconds = start.duration(to: .now)
        let after = await settled(towards: before)
        await engine.shutdown()
        return Report(
            reconnects: attempts - concurrency,
            attempts: attempts,
            fdsBefore: before.fileDescriptors,
            fdsAfter: after.fileDescriptors,
            rssBeforeKiB: before.residentKiB,
            rssAfterKiB: after.residentKiB,
            seconds: Double(seconds.components.seconds) + Double(seconds.components.attoseconds) / 1e18
        )
    }

    /// `concurrency` requests that each time out through every attempt; returns the attempts sent.
    private static func storm(_ engine: ClientEngine, _ endpoint: Endpoint, concurrency: Int, options: RequestOptions) async -> Int {
        await withTaskGroup(of: Int.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    do {
                        _ = try await engine.request([[1]], to: endpoint, options: options)
                        return 0
                    } catch {
                        return (error as? CorsairError)?.attempts ?? 0
                    }
                }
            }
            return await group.reduce(0, +)
        }
    }

    /// Resources once libzmq's reaper has caught up: closed sockets free their descriptors
    /// asynchronously, so wait (bounded) until the count stops falling or reaches `target`.
    private static func settled(towards target: ProcessResources? = nil) async -> ProcessResources {
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        var last = ProcessResources.now(trimmingAllocator: true)
        while ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            let now = ProcessResources.now(trimmingAllocator: true)
            if let target, now.fileDescriptors <= target.fileDescriptors { return now }
            if target == nil, now.fileDescriptors == last.fileDescriptors { return now }
            last = now
        }
        return last
    }
}
