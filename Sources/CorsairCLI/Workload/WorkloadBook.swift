import Corsair
import Synchronization

/// The books of a workload: what was sent, how each request ended, latencies, retries, per shard.
///
/// `lost` is what was sent minus what ended in a reply or a typed error, so a request that never
/// came back counts even if nothing noticed it.
final class WorkloadBook: Sendable {
    /// The counts for one shard, or for the whole run.
    struct Counts: Sendable {
        var sent = 0
        var succeeded = 0
        var failed = 0
        var retries = 0
        var reconnects = 0
        var pushbacks = 0
        var errors: [String: Int] = [:]
        var latency = LatencyHistogram()

        /// Requests that ended in neither a reply nor a typed error.
        var lost: Int { self.sent - self.succeeded - self.failed }

        mutating func add(_ record: TrackedRequest.Record) {
            self.retries += record.probe.retries
            self.reconnects += record.probe.reconnects
            self.pushbacks += record.probe.pushbacks
            switch record.ending {
            case .reply:
                self.succeeded += 1
                self.latency.record(record.latency)
            case .error(let error):
                self.failed += 1
                self.errors[WorkloadBook.kind(of: error), default: 0] += 1
            case .noAnswer:
                break
            }
        }
    }

    private struct State {
        var total = Counts()
        var shards: [String: Counts] = [:]
        var kept: [TrackedRequest.Record] = []
    }

    private let state = Mutex(State())
    /// Whether every record is kept for ``records`` (the demo checks each request against the servers).
    private let keepsRecords: Bool

    init(keepsRecords: Bool = false) {
        self.keepsRecords = keepsRecords
    }

    /// Counts a request as sent, before it goes out.
    func sent(shardID: String) {
        self.state.withLock { state in
            state.total.sent += 1
            state.shards[shardID, default: Counts()].sent += 1
        }
    }

    /// Counts how a sent request ended.
    func ended(_ record: TrackedRequest.Record) {
        self.state.withLock { state in
            state.total.add(record)
            state.shards[record.shardID, default: Counts()].add(record)
            if self.keepsRecords {
                state.kept.append(record)
            }
        }
    }

    /// The whole run's counts so far.
    var total: Counts { self.state.withLock { $0.total } }

    /// Each shard's counts so far.
    var shards: [String: Counts] { self.state.withLock { $0.shards } }

    /// Every request's record, when the book keeps them.
    var records: [TrackedRequest.Record] { self.state.withLock { $0.kept } }

    /// An error's kind as a JSON-friendly word: `abandoned`, `circuit_open`, `wrong_shard`…
    static func kind(of error: CorsairError) -> String {
        error.code.name
    }
}
