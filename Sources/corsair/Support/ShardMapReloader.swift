import Logging
import ServiceLifecycle
import ShardMap
import UnixSignals

/// Keeps a served shard map current: polls its file and reloads it on SIGHUP, until graceful
/// shutdown. A refused reload is logged by the store and the last good map stays in use.
struct ShardMapReloader: Service {
    let store: ShardMapStore
    let logger: Logger
    var interval: Duration = .milliseconds(500)

    func run() async throws {
        let store = self.store
        let logger = self.logger
        let interval = self.interval
        // Trapped before serving starts, so an early SIGHUP reloads rather than kills the process.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await store.watch(interval: interval)
                }
                group.addTask {
                    for await _ in hangups {
                        logger.info("SIGHUP: reloading the shard map", metadata: ["file": "\(store.path ?? "-")"])
                        // A refusal has been logged by the store; the map in use stays.
                        _ = try? await store.reloadWithoutBlocking()
                    }
                }
                await group.waitForAll()
            }
        }
    }
}
