import Foundation
import Logging
import ShardMap
import Synchronization
import Testing

@Suite("Hot reload")
struct StoreTests {
    let directory: TemporaryDirectory
    let path: String
    let logs = LogRecorder()

    init() throws {
        self.directory = try TemporaryDirectory()
        self.path = try self.directory.write("map.yaml", Sample.slots(epoch: 1))
    }

    func makeStore() throws -> ShardMapStore {
        try ShardMapStore(contentsOf: self.path, logger: self.logs.logger)
    }

    @Test("A valid edit with a higher epoch is swapped in; snapshots taken before keep the old map")
    func reloadSwaps() throws {
        let store = try self.makeStore()
        let before = store.current
        try self.directory.write("map.yaml", Sample.slots(epoch: 2, shards: [["0-8191"], ["8192-16383"]]))
        let outcome = try store.reload()
        guard case .updated(let previous, let current) = outcome else {
            Issue.record("expected an update, got \(outcome)")
            return
        }
        #expect(previous === before)
        #expect(current === store.current)
        #expect(store.current.epoch == 2)
        #expect(store.current.shards.count == 2)
        // The request that started on epoch 1 still routes with it.
        #expect(before.epoch == 1)
        #expect(before.shards.count == 3)
        #expect(self.logs.messages(at: .info).contains { $0.contains("reloaded") })
    }

    @Test("An invalid edit is refused, logged, and the last good map stays")
    func invalidEditKeepsOldMap() throws {
        let store = try self.makeStore()
        let good = store.current
        for broken in [
            Sample.slots(epoch: 2, shards: [["0-100"]]),  // gaps
            "cluster: [unclosed\n",  // syntax
            Sample.slots(epoch: 2).replacingOccurrences(of: "id: s1", with: "id: s0"),  // duplicate id
        ] {
            try self.directory.write("map.yaml", broken)
            #expect(throws: ShardMapError.self) { try store.reload() }
            #expect(store.current === good)
        }
        #expect(self.logs.messages(at: .error).count == 3)

        try FileManager.default.removeItem(atPath: self.path)
        let missing = try #require(shardMapError { try store.reload() })
        #expect(missing.code == .unreadableFile)
        #expect(store.current === good)
    }

    @Test("Epoch rules: lower refused, same epoch with other shards refused, settings-only change accepted")
    func epochRules() throws {
        try self.directory.write("map.yaml", Sample.slots(epoch: 5))
        let store = try self.makeStore()

        try self.directory.write("map.yaml", Sample.slots(epoch: 4))
        #expect(shardMapError { try store.reload() }?.code == .epochRegressed)
        #expect(store.current.epoch == 5)

        try self.directory.write("map.yaml", Sample.slots(epoch: 5, shards: [["0-8191"], ["8192-16383"]]))
        #expect(shardMapError { try store.reload() }?.code == .epochNotIncreased)
        #expect(store.current.shards.count == 3)

        try self.directory.write("map.yaml", "# a comment\n" + Sample.slots(epoch: 5))
        guard case .unchanged = try store.reload() else {
            Issue.record("a comment-only edit must not change the map")
            return
        }

        try self.directory.write("map.yaml", Sample.slots(epoch: 5, extra: "retry: {attempts: 7}\n"))
        guard case .updated = try store.reload() else {
            Issue.record("a settings-only edit under the same epoch is accepted")
            return
        }
        #expect(store.current.config.retry.attempts == 7)
        #expect(store.current.epoch == 5)
    }

    @Test("Routing and cluster name are fixed for a running map")
    func routingFixed() throws {
        let store = try self.makeStore()
        try self.directory.write("map.yaml", Sample.slots(epoch: 2, slots: 1024, shards: [["0-1023"]]))
        #expect(shardMapError { try store.reload() }?.code == .routingChanged)
        try self.directory.write("map.yaml", Sample.slots(cluster: "other", epoch: 2))
        #expect(shardMapError { try store.reload() }?.code == .routingChanged)
        try self.directory.write("map.yaml", Sample.slots(epoch: 2, hash: "fnv1a64"))
        #expect(shardMapError { try store.reload() }?.code == .routingChanged)
        #expect(store.current.epoch == 1)
    }

    @Test("Maps built in code follow the same rules")
    func updateInCode() throws {
        let store = ShardMapStore(map: try ShardMap(parsing: Sample.slots(epoch: 3)), logger: self.logs.logger)
        #expect(shardMapError { try store.update(to: ShardMap(parsing: Sample.slots(epoch: 2))) }?.code == .epochRegressed)
        try store.update(to: ShardMap(parsing: Sample.slots(epoch: 4)))
        #expect(store.current.epoch == 4)
        #expect(shardMapError { try store.reload() }?.code == .unreadableFile)
    }

    @Test("Concurrent lookups while reloading never fail and never see an epoch go back")
    func concurrentReload() async throws {
        let store = try self.makeStore()
        let reloads = 60
        let failures = Counter()
        let lookups = Counter()
        await withTaskGroup(of: Void.self) { group in
            for reader in 0..<4 {
                group.addTask {
                    var lastEpoch: UInt64 = 0
                    var round = 0
                    while store.current.epoch < UInt64(reloads + 1) || round < 100 {
                        let map = store.current
                        if map.epoch < lastEpoch {
                            failures.add(1)
                        }
                        lastEpoch = map.epoch
                        for index in 0..<200 {
                            let key = "reader\(reader)-key\(round)-\(index)"
                            let shard = map.shard(forKey: key)
                            let slot = map.slot(forKey: key) ?? -1
                            // The shard must be in the snapshot and own the key's slot.
                            if map.shard(id: shard.id) != shard || !shard.slots.contains(where: { $0.contains(slot) }) {
                                failures.add(1)
                            }
                        }
                        lookups.add(200)
                        round += 1
                        await Task.yield()
                    }
                }
            }
            group.addTask {
                for epoch in 2...UInt64(reloads + 1) {
                    // Alternate between three and two shards so that lookups really move.
                    let layout: [[String]] = epoch % 2 == 0 ? [["0-8191"], ["8192-16383"]] : [["0-5460"], ["5461-10922"], ["10923-16383"]]
                    do {
                        try self.directory.write("map.yaml", Sample.slots(epoch: epoch, shards: layout))
                        try store.reload()
                    } catch {
                        failures.add(1)
                    }
                    await Task.yield()
                }
            }
        }
        #expect(failures.value == 0)
        #expect(store.current.epoch == UInt64(reloads + 1))
        #expect(lookups.value > 0)
    }

    @Test("The watcher picks up edits, refuses a bad one once, and publishes new maps")
    func watcher() async throws {
        let store = try self.makeStore()
        let updates = store.updates()
        let watcher = Task { await store.watch(interval: .milliseconds(20)) }
        defer { watcher.cancel() }

        try self.directory.write("map.yaml", Sample.slots(epoch: 2))
        #expect(await eventually { store.current.epoch == 2 })
        var iterator = updates.makeAsyncIterator()
        #expect(await iterator.next()?.epoch == 2)

        // A broken edit: logged once however many polls see it, and the map stays.
        try self.directory.write("map.yaml", Sample.slots(epoch: 3, shards: [["0-99"]]))
        #expect(await eventually { self.logs.messages(at: .error).count == 1 })
        let polls = ContinuousClock.now
        #expect(await eventually { ContinuousClock.now - polls > .milliseconds(200) } )
        #expect(self.logs.messages(at: .error).count == 1)
        #expect(store.current.epoch == 2)

        // Fixed: picked up.
        try self.directory.write("map.yaml", Sample.slots(epoch: 3))
        #expect(await eventually { store.current.epoch == 3 })
        #expect(await iterator.next()?.epoch == 3)

        // A file that disappears for a while is not a reason to drop the map.
        try FileManager.default.removeItem(atPath: self.path)
        #expect(await eventually { self.logs.messages(at: .warning).count == 1 })
        #expect(store.current.epoch == 3)
        try self.directory.write("map.yaml", Sample.slots(epoch: 4))
        #expect(await eventually { store.current.epoch == 4 })

        watcher.cancel()
        await watcher.value
    }
}

/// A count shared by concurrent tasks.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)

    func add(_ amount: Int) {
        self.count.add(amount, ordering: .relaxed)
    }

    var value: Int {
        self.count.load(ordering: .relaxed)
    }
}

/// Collects log messages so that tests can check what the store reported.
final class LogRecorder: Sendable {
    private let records = Mutex<[(Logger.Level, String)]>([])

    var logger: Logger {
        Logger(label: "test.shardmap") { _ in Handler(recorder: self) }
    }

    func messages(at level: Logger.Level) -> [String] {
        self.records.withLock { $0.filter { $0.0 == level }.map(\.1) }
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            self.recorder.records.withLock { $0.append((event.level, "\(event.message) \(event.metadata ?? [:])")) }
        }
    }
}
