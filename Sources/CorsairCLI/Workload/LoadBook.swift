import Corsair
import Synchronization

/// The books of a `corsair load` run: a tally per shard, and when each worker's request went out,
/// shared by the workers (on the engine's thread) and the watcher that decides when to stop.
///
/// Two short lock holds per request and no allocation: this is the tool's whole bookkeeping.
final class LoadBook: Sendable {
    /// Why the watcher stopped a run before its end.
    enum Stop: String, Sendable {
        /// No shard answered a single request.
        case noAnswer = "no_answer"
        /// A request outlived its retry policy by a margin: it will never end.
        case lost
    }

    private struct State {
        var shards: [LoadTally]
        /// Per worker: when its request in flight was due to go out; `nil` between requests.
        var inFlightSince: [ContinuousClock.Instant?]
        var finishedAt: ContinuousClock.Instant?
    }

    private let state: Mutex<State>
    /// Sockets closed and reopened for a retry (counted from the engine's events, on its thread).
    private let reconnectCount = Atomic<Int>(0)
    /// "Overloaded, retry after" answers.
    private let pushbackCount = Atomic<Int>(0)
    /// Set by the watcher: workers take no new request.
    private let stopFlag = Atomic<Bool>(false)

    var reconnects: Int { self.reconnectCount.load(ordering: .relaxed) }
    var pushbacks: Int { self.pushbackCount.load(ordering: .relaxed) }

    /// Whether the watcher has stopped the run.
    var isStopping: Bool { self.stopFlag.load(ordering: .relaxed) }

    /// Tells the workers to take no new request.
    func stop() {
        self.stopFlag.store(true, ordering: .relaxed)
    }

    /// Counts an engine event: a reconnect or a pushback. Called on the engine's I/O thread.
    func observe(_ event: RequestEvent) {
        switch event {
        case .reconnecting: self.reconnectCount.add(1, ordering: .relaxed)
        case .pushedBack: self.pushbackCount.add(1, ordering: .relaxed)
        default: break
        }
    }

    init(shards: Int, workers: Int) {
        self.state = Mutex(State(shards: Array(repeating: LoadTally(), count: shards), inFlightSince: Array(repeating: nil, count: workers)))
    }

    /// Counts a request as sent by `worker` to `shard`, due at `time`.
    func sent(shard: Int, worker: Int, at time: ContinuousClock.Instant) {
        self.state.withLock { state in
            state.shards[shard].sent += 1
            state.inFlightSince[worker] = time
        }
    }

    /// Counts how `worker`'s request to `shard` ended.
    func ended(shard: Int, worker: Int, _ ending: Result<(attempts: Int, latency: Duration), CorsairError>) {
        self.state.withLock { state in
            switch ending {
            case .success(let reply):
                state.shards[shard].succeed(attempts: reply.attempts, latency: reply.latency)
            case .failure(let error):
                state.shards[shard].fail(error)
            }
            state.inFlightSince[worker] = nil
        }
    }

    /// Records that every worker has stopped.
    func finish(at time: ContinuousClock.Instant) {
        self.state.withLock { $0.finishedAt = time }
    }

    /// When every worker had stopped; `nil` while any runs.
    var finishedAt: ContinuousClock.Instant? { self.state.withLock { $0.finishedAt } }

    /// Each shard's tally so far.
    var shards: [LoadTally] { self.state.withLock { $0.shards } }

    /// Requests ended, failed and retried so far, for the progress line.
    var progress: (ended: Int, failed: Int, retries: Int) {
        self.state.withLock { state in
            state.shards.reduce(into: (0, 0, 0)) { sum, tally in
                sum.0 += tally.ended
                sum.1 += tally.failed
                sum.2 += tally.retries
            }
        }
    }

    /// Whether the run must stop now: a request in flight for longer than `watchdog` is lost; a
    /// run in which every shard sent to has failed a request and none answered any has no cluster
    /// to measure.
    func verdict(now: ContinuousClock.Instant, watchdog: Duration) -> Stop? {
        self.state.withLock { state in
            if state.inFlightSince.contains(where: { $0.map { $0.duration(to: now) > watchdog } ?? false }) {
                return .lost
            }
            let tried = state.shards.filter { $0.sent > 0 }
            if !tried.isEmpty, tried.allSatisfy({ $0.failed > 0 && $0.answered == 0 }) {
                return .noAnswer
            }
            return nil
        }
    }
}
