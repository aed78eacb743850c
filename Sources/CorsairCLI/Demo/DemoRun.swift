import Corsair
import UnitText
import Foundation
import Logging
import ShardMap

/// One run of `corsair demo`: the cluster, the workload, the faults, and the books.
struct DemoRun: Sendable {
    let plan: DemoPlan
    let cluster: DemoCluster
    let client: ShardedClient
    let book = WorkloadBook(keepsRecords: true)
    let progress = ProgressLine()
    let start = ContinuousClock.now

    /// Runs the workload and the faults to the end, then waits for every request to end.
    func drive() async {
        let policy = RetryPolicy(self.client.store.current.config.retry)
        let watchdog = (policy.deadline ?? policy.attemptTimeout * policy.attempts) + .seconds(5)
        let end = self.start.advanced(by: self.plan.duration)
        let next = TicketCounter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<self.plan.concurrency {
                group.addTask {
                    while ContinuousClock.now < end {
                        let index = next.take()
                        await self.send(key: "key-\(index % self.plan.keys)", watchdog: watchdog)
                        try? await Task.sleep(for: self.plan.thinkTime)
                    }
                }
            }
            group.addTask {
                for (at, fault) in self.plan.faults {
                    try? await Task.sleep(until: self.start.advanced(by: at), clock: .continuous)
                    await self.inject(fault, watchdog: watchdog)
                }
            }
            let progressTask = Task { await self.showProgress(until: end) }
            await group.waitForAll()
            progressTask.cancel()
            await progressTask.value
        }
        self.progress.clear()
    }

    private func send(key: String, watchdog: Duration) async {
        self.book.sent(shardID: self.client.store.current.shard(forKey: key).id)
        let record = await TrackedRequest.send([Array("INCR \(key)".utf8)], key: key, through: self.client, watchdog: watchdog)
        self.book.ended(record)
    }

    private func inject(_ fault: DemoPlan.Fault, watchdog: Duration) async {
        switch fault {
        case .pause(let index, let duration):
            let shard = self.cluster.shards[index]
            shard.faults.stall(until: ContinuousClock.now.advanced(by: duration))
            self.event("pause  \(shard.id): its handler stops answering for \(DurationText.format(duration)) (attempt timeout \(self.attemptTimeout))")
        case .kill(let index, let downFor):
            let shard = self.cluster.shards[index]
            let killedAt = ContinuousClock.now
            self.event("kill   \(shard.id): server stopped without draining, sockets closed; back in \(DurationText.format(downFor))")
            await shard.kill()
            try? await Task.sleep(until: killedAt.advanced(by: downFor), clock: .continuous)
            do {
                try await shard.restart()
                self.event("start  \(shard.id): restarted on \(shard.endpoint), same store")
            } catch {
                self.event("start  \(shard.id): restart failed: \(error)")
            }
        case .burst(let index, let size, let handlerTime):
            let shard = self.cluster.shards[index]
            let keys = self.keys(ownedBy: shard.id)
            shard.faults.delay(handlerTime)
            self.event("burst  \(shard.id): \(size) requests at once, \(DurationText.format(handlerTime)) each, in-flight bound \(self.plan.burstShardMaxInFlight)")
            await withTaskGroup(of: Void.self) { group in
                for number in 0..<size {
                    group.addTask {
                        await self.send(key: keys[number % keys.count], watchdog: watchdog)
                    }
                }
            }
            shard.faults.delay(.zero)
        case .reshard(let from, let to, let clientsAfter):
            await self.reshard(from: from, to: to, clientsAfter: clientsAfter)
        }
    }

    /// Moves half of shard `from`'s first slot range to shard `to` under the next epoch: the servers'
    /// file first (every server reads one store, so they switch together), the clients' file later.
    private func reshard(from: Int, to: Int, clientsAfter: Duration) async {
        let current = self.cluster.store.current
        guard current.slotCount != nil, let range = current.shards[from].slots.first, range.count >= 2 else {
            self.event("reshard skipped: \(current.shards[from].id) has no slot range to move (jump maps move keys by adding shards)")
            return
        }
        let moving = range.lowerBound...(range.lowerBound + range.count / 2 - 1)
        var next = current.config
        next.epoch += 1
        next.shards[from].slots = [(moving.upperBound + 1)...range.upperBound] + Array(next.shards[from].slots.dropFirst())
        next.shards[to].slots = [moving] + next.shards[to].slots
        let (fromID, toID) = (next.shards[from].id, next.shards[to].id)
        do {
            try self.cluster.serversFile.write(next)
        } catch {
            self.event("reshard failed: cannot write the servers' map file: \(error)")
            return
        }
        // The servers' watcher reads the file within a few polls.
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while self.cluster.store.current.epoch < next.epoch, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        self.event(
            "reshard \(fromID) -> \(toID): slots \(moving.lowerBound)-\(moving.upperBound) move under epoch \(next.epoch); "
                + "servers' file written, servers at epoch \(self.cluster.store.current.epoch)"
        )
        let movedBefore = self.movedReplies
        try? await Task.sleep(for: clientsAfter)
        let clientEpoch = self.client.store.current.epoch
        do {
            try self.cluster.clientsFile.write(next)
        } catch {
            self.event("reshard failed: cannot write the clients' map file: \(error)")
            return
        }
        self.event(
            "reshard clients' file written at epoch \(next.epoch); until now the client was on epoch \(clientEpoch), "
                + "and \(self.movedReplies - movedBefore) of its requests were answered \"moved\" and followed"
        )
    }

    private var movedReplies: Int {
        self.cluster.shards.reduce(0) { $0 + $1.statistics.replies(.moved) }
    }

    /// The workload's keys that live on a shard; other key-N names when none of them does.
    private func keys(ownedBy shardID: String) -> [String] {
        let map = self.client.store.current
        let owned = (0..<self.plan.keys).map { "key-\($0)" }.filter { map.shard(forKey: $0).id == shardID }
        if !owned.isEmpty { return owned }
        let more = (self.plan.keys..<self.plan.keys + 10_000).lazy.map { "key-\($0)" }.filter { map.shard(forKey: $0).id == shardID }
        return Array(more.prefix(8)).isEmpty ? ["key-0"] : Array(more.prefix(8))
    }

    private var attemptTimeout: String {
        DurationText.format(RetryPolicy(self.client.store.current.config.retry).attemptTimeout)
    }

    private var elapsed: String {
        String(format: "%5.1fs", self.start.duration(to: .now).seconds)
    }

    /// Prints a fault as it happens, on its own line above the progress line.
    private func event(_ text: String) {
        self.progress.clear()
        CommandLineOutput.line("[\(self.elapsed)] \(text)")
    }

    private func showProgress(until end: ContinuousClock.Instant) async {
        guard self.progress.isInteractive else { return }
        while !Task.isCancelled {
            let counts = self.book.total
            let down = self.cluster.shards.filter { !$0.isUp }.map(\.id)
            let phase = ContinuousClock.now < end ? "running" : "finishing"
            self.progress.show(
                "[\(self.elapsed)] \(phase): \(counts.succeeded) ok, \(counts.failed) failed, \(counts.retries) retries, "
                    + "\(counts.sent - counts.succeeded - counts.failed) in flight" + (down.isEmpty ? "" : ", down: \(down.joined(separator: " "))")
            )
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}
