import Corsair
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Forces a number of timeout-and-reconnect cycles through a client engine and reports the
/// process's descriptors and memory before and after: the Lazy Pirate's resource hygiene check.
///
/// Resident memory is read after `malloc_trim(0)`: glibc keeps freed heap for reuse, so without it
/// RSS shows the storm's peak working set (which varies with how far libzmq's reaper lags) rather
/// than what is still in use.
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
    /// (sockets, libzmq's buffers, the allocator's arenas) and before/after compares like with like:
    /// what remains is what the reconnects leaked.
    static func run(reconnects: Int, concurrency: Int = 100, warmUp: Int = 0) async throws -> Report {
        let peer = try SilentPeer()
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
        let engine = try ClientEngine(configuration: .init(retry: policy))
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
        var last = ProcessResources.now()
        while ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            // Hand freed heap back to the kernel first, so RSS counts memory in use, not free
            // memory glibc keeps for later: without this, a storm's peak stays in RSS for ever.
            _ = mallocTrim(0)
            let now = ProcessResources.now()
            if let target, now.fileDescriptors <= target.fileDescriptors { return now }
            if target == nil, now.fileDescriptors == last.fileDescriptors { return now }
            last = now
        }
        return last
    }
}

@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32
