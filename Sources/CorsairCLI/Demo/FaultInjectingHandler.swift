import Corsair
import Synchronization

/// Wraps a handler with the demo's faults: a stall (the shard stops answering for a while, longer
/// than the client's attempt timeout) and a per-request delay (a busy shard, so that a burst fills
/// its in-flight bound).
final class FaultInjectingHandler: RequestHandler {
    private struct Faults {
        var stalledUntil: ContinuousClock.Instant?
        var delay: Duration = .zero
    }

    private let inner: any RequestHandler
    private let faults = Mutex(Faults())

    init(_ inner: any RequestHandler) {
        self.inner = inner
    }

    /// Holds every request that arrives before `instant` until then.
    func stall(until instant: ContinuousClock.Instant) {
        self.faults.withLock { $0.stalledUntil = instant }
    }

    /// Makes every request take at least `delay`; `.zero` turns it off.
    func delay(_ delay: Duration) {
        self.faults.withLock { $0.delay = delay }
    }

    func handle(_ request: ServerRequest) async throws -> ServerReply {
        let (stalledUntil, delay) = self.faults.withLock { ($0.stalledUntil, $0.delay) }
        // Sleeping, not blocking: a stalled shard must not hold the cooperative pool's threads.
        // A kill cancels the sleep, and the request never reaches the store.
        if let stalledUntil, ContinuousClock.now < stalledUntil {
            try await Task.sleep(until: stalledUntil, clock: .continuous)
        }
        if delay > .zero {
            try await Task.sleep(for: delay)
        }
        return try await self.inner.handle(request)
    }
}
