import Corsair

/// The workers of a `corsair load` run: `concurrency` tasks on the engine's executor, each sending
/// one request at a time until the run's requests are taken, its duration is over, or the watcher
/// stops it.
///
/// Closed loop (no rate): a worker sends its next request as soon as the last one ended, and a
/// latency runs from the send to the ending. Open loop (`rate`): request `i` is due at
/// `start + i / rate` whoever sends it, and its latency runs from that due time, so a stall that
/// holds requests back shows in the latencies instead of hiding them (coordinated omission
/// corrected, as wrk2 does).
struct LoadDriver: Sendable {
    /// What the run sends and for how long.
    struct Plan: Sendable {
        /// How many requests in all; `nil` to run for ``duration``.
        var requests: Int?
        /// How long to send for, when ``requests`` is `nil`.
        var duration: Duration
        /// Requests per second for an open-loop run; `nil` for a closed loop.
        var rate: Double?
        /// Requests in flight at most.
        var concurrency: Int
        /// The keys, used in turn, with each key's body and shard.
        var keys: [String]
        var bodies: [[[UInt8]]]
        var shardOfKey: [Int]
    }

    let target: LoadTarget
    let plan: Plan
    let book: LoadBook
    let options: RequestOptions

    /// Runs the workers to the end and records when they stopped.
    func run(start: ContinuousClock.Instant) async {
        let next = TicketCounter()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<self.plan.concurrency {
                group.addTask {
                    await self.work(worker, tickets: next, start: start)
                }
            }
        }
        self.book.finish(at: .now)
    }

    private func work(_ worker: Int, tickets: TicketCounter, start: ContinuousClock.Instant) async {
        let end = start + self.plan.duration
        let keyCount = self.plan.keys.count
        while !self.book.isStopping, !Task.isCancelled {
            let ticket = tickets.take()
            if let requests = self.plan.requests, ticket >= requests { return }
            let due: ContinuousClock.Instant
            if let rate = self.plan.rate {
                due = start + .nanoseconds(Int64((Double(ticket) * 1e9 / rate).rounded()))
                if self.plan.requests == nil, due >= end { return }
                if due > .now {
                    try? await Task.sleep(until: due, clock: .continuous)
                }
            } else {
                due = .now
                if self.plan.requests == nil, due >= end { return }
            }
            let key = ticket % keyCount
            let shard = self.plan.shardOfKey[key]
            // The watchdog times the request from its send: a due time long past means a queue, not a loss.
            self.book.sent(shard: shard, worker: worker, at: self.plan.rate == nil ? due : .now)
            do {
                let reply = try await self.target.send(key: self.plan.keys[key], body: self.plan.bodies[key], options: self.options)
                self.book.ended(shard: shard, worker: worker, .success((reply.attempts, due.duration(to: .now))))
            } catch {
                self.book.ended(shard: shard, worker: worker, .failure(error))
            }
        }
    }
}
