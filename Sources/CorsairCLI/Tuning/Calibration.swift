import Corsair
import UnitText
import Foundation
import ShardMap
import Synchronization

/// `corsair tune`'s calibration load: requests spread evenly over the shards, each timed on its own.
///
/// Every request makes one attempt with a long timeout and no budget or breaker, so what is
/// measured is the shard's reply time, not the retry policy's effect on it.
struct Calibration: Sendable {
    /// How long one calibration request may wait before it counts as unanswered.
    static let attemptTimeout: Duration = .seconds(5)
    /// How long the first request to each shard may take before the cluster counts as unreachable.
    static let reachabilityTimeout: Duration = .seconds(3)
    /// The most requests in flight a calibration may have.
    static let maximumConcurrency = 10_000
    /// Keys per shard, used in turn.
    static let keysPerShard = 64

    let map: ShardMap
    let duration: Duration
    let concurrency: Int
    let operation: Operation

    /// What each calibration request asks: the bodies `corsair load --op` sends.
    typealias Operation = LoadCommand.Operation

    /// What one calibration run measured.
    struct Result: Sendable {
        /// Per shard, in map order.
        var shards: [ShardLatency]
        /// How long the load ran.
        var elapsed: Duration
    }

    /// Keys owned by each shard, `tune-0`, `tune-1`, … sorted to their owners.
    func keysByShard() -> [[String]] {
        var keys = Array(repeating: [String](), count: self.map.shards.count)
        var missing = keys.count
        var index = 0
        // Every shard owns at least one slot, so a few million tries find keys for even a tiny one.
        while missing > 0 && index < 4_000_000 {
            let key = "tune-\(index)"
            index += 1
            let shard = self.map.shardIndex(forKey: key)
            guard keys[shard].count < Self.keysPerShard else { continue }
            keys[shard].append(key)
            if keys[shard].count == Self.keysPerShard { missing -= 1 }
        }
        return keys
    }

    /// One request to every shard, all at once; the ids of shards that did not answer.
    func unreachableShards(client: ShardedClient, keys: [[String]]) async -> [String] {
        let options = Self.options(timeout: Self.reachabilityTimeout)
        return await withTaskGroup(of: String?.self) { group in
            for (index, shard) in self.map.shards.enumerated() {
                let key = keys[index].first ?? shard.id
                group.addTask {
                    let answered = await Self.send(self.operation.body(key: key), key: key, through: client, options: options) != nil
                    return answered ? nil : shard.id
                }
            }
            var unreachable: [String] = []
            for await id in group {
                if let id { unreachable.append(id) }
            }
            return self.map.shards.map(\.id).filter { unreachable.contains($0) }
        }
    }

    /// Runs the load for ``duration`` and returns each shard's reply times.
    func run(client: ShardedClient, keys: [[String]], progress: ProgressLine) async -> Result {
        let options = Self.options(timeout: Self.attemptTimeout)
        let shardCount = self.map.shards.count
        let book = Book(shardCount: shardCount)
        let next = TicketCounter()
        let start = ContinuousClock.now
        let end = start.advanced(by: self.duration)
        let operation = self.operation
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<self.concurrency {
                group.addTask {
                    while ContinuousClock.now < end {
                        let ticket = next.take()
                        let shard = ticket % shardCount
                        let shardKeys = keys[shard]
                        let key = shardKeys[(ticket / shardCount) % shardKeys.count]
                        let latency = await Self.send(operation.body(key: key), key: key, through: client, options: options)
                        book.record(latency, shard: shard)
                    }
                }
            }
            if progress.isInteractive {
                group.addTask {
                    while ContinuousClock.now < end {
                        try? await Task.sleep(for: .milliseconds(200))
                        let done = book.shards.reduce(0) { $0 + $1.count }
                        progress.show("tune: \(done) replies, \(String(format: "%.1f", start.duration(to: .now).seconds))s of \(DurationText.format(self.duration))")
                    }
                }
            }
        }
        progress.clear()
        return Result(shards: book.shards, elapsed: start.duration(to: .now))
    }

    /// The shards' latencies as the workers record them.
    private final class Book: Sendable {
        private let state: Mutex<[ShardLatency]>

        init(shardCount: Int) {
            self.state = Mutex(Array(repeating: ShardLatency(), count: shardCount))
        }

        var shards: [ShardLatency] { self.state.withLock { $0 } }

        func record(_ latency: Duration?, shard: Int) {
            self.state.withLock { shards in
                if let latency {
                    shards[shard].record(latency)
                } else {
                    shards[shard].unanswered += 1
                }
            }
        }
    }

    /// One attempt, no budget, no breaker: the request measures the shard, not the policy.
    private static func options(timeout: Duration) -> RequestOptions {
        var options = RequestOptions()
        options.retry = RetryPolicy(attempts: 1, attemptTimeout: timeout, deadline: timeout, budget: nil, circuitBreaker: nil)
        return options
    }

    /// The time until the shard answered (a reply or an error reply), or `nil` when it did not.
    private static func send(_ body: [[UInt8]], key: String, through client: ShardedClient, options: RequestOptions) async -> Duration? {
        let start = ContinuousClock.now
        do throws(CorsairError) {
            _ = try await client.request(key: key, body: body, options: options)
        } catch {
            // The server answered, even if not with what was asked: its reply time still counts.
            let answered: Set<CorsairError.Code> = [.handlerError, .badRequest, .wrongShard, .overloaded, .deadlineExpiredOnServer]
            guard answered.contains(error.code) else { return nil }
        }
        return start.duration(to: .now)
    }
}
