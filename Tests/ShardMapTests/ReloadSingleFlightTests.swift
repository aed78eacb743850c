import Foundation
import Logging
import ShardMap
import Synchronization
import Testing

@Suite("Background reloads and the reload service")
struct ReloadSingleFlightTests {
    /// Counts completions and remembers their epochs.
    final class Completions: Sendable {
        private let epochs = Mutex<[UInt64]>([])

        var all: [UInt64] { self.epochs.withLock { $0 } }

        func record(_ outcome: Result<ShardMapStore.ReloadOutcome, ShardMapError>) {
            let epoch: UInt64
            switch outcome {
            case .success(.updated(_, let map)), .success(.unchanged(let map)): epoch = map.epoch
            case .failure: epoch = 0
            }
            self.epochs.withLock { $0.append(epoch) }
        }
    }

    @Test("a hundred background reloads asked while one is in flight read the file once and share its result")
    func singleFlight() async throws {
        let directory = try TemporaryDirectory()
        // A named pipe: the reload in flight blocks reading it until the test writes, so every call
        // below is made while it is in flight.
        let path = directory.path("map.fifo")
        try #require(mkfifo(path, 0o600) == 0)
        let store = ShardMapStore(map: try ShardMap(parsing: Sample.slots(epoch: 1)), path: path, logger: LogRecorder().logger)
        let completions = Completions()
        for _ in 0..<100 {
            store.reloadInBackground { completions.record($0) }
        }
        let text = Sample.slots(epoch: 2)
        let writer = Thread {
            // Opening a pipe for writing waits for its reader: the reload in flight.
            if let handle = FileHandle(forWritingAtPath: path) {
                handle.write(Data(text.utf8))
                try? handle.close()
            }
        }
        writer.start()
        #expect(await eventually { completions.all.count == 100 })
        #expect(completions.all.allSatisfy { $0 == 2 })
        #expect(store.fileReloads == 1)
        #expect(store.current.epoch == 2)
    }

    @Test("a file that stops parsing is refused and logged once, however often it is reloaded; the last good map stays")
    func brokenFileLoggedOnce() async throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("map.yaml", Sample.slots(epoch: 1))
        let logs = LogRecorder()
        let store = try ShardMapStore(contentsOf: path, logger: logs.logger)
        _ = try directory.write("map.yaml", String(Sample.slots(epoch: 2).prefix(40)))
        for _ in 0..<5 {
            #expect(throws: ShardMapError.self) { try store.reload() }
            _ = try? await store.reloadWithoutBlocking()
        }
        #expect(logs.messages(at: .error).count == 1, "\(logs.messages(at: .error))")
        #expect(store.current.epoch == 1)
        // Fixed: accepted at once.
        _ = try directory.write("map.yaml", Sample.slots(epoch: 2))
        try store.reload()
        #expect(store.current.epoch == 2)
    }

    @Test("ShardMapReloadService follows the file until cancelled")
    func serviceFollowsTheFile() async throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("map.yaml", Sample.slots(epoch: 1))
        let store = try ShardMapStore(contentsOf: path, logger: LogRecorder().logger)
        let service = ShardMapReloadService(store: store, interval: .milliseconds(10), reloadsOnHangup: false, logger: LogRecorder().logger)
        let running = Task { try await service.run() }
        _ = try directory.write("map.yaml", Sample.slots(epoch: 2))
        #expect(await eventually { store.current.epoch == 2 })
        running.cancel()
        try await running.value
    }
}
