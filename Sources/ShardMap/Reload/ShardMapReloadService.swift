import Logging
import ServiceLifecycle
import UnixSignals

/// Keeps a ``ShardMapStore`` following its file: polls the file and reloads it when it changes, and
/// reloads it on SIGHUP, until graceful shutdown or cancellation.
///
/// Run it beside the services that read the store (a `CorsairServer` whose ownership reads it, a
/// `ShardedClient`), so that a map edited on disk reaches every one of them. A file that stops
/// parsing, or breaks the epoch rules, is logged once by the store and the last good map stays in
/// use. The service returns on graceful shutdown; list it after the services it feeds, with
/// `successTerminationBehavior: .ignore`, so that it stops first and its return ends nothing.
///
/// ```swift
/// let store = try ShardMapStore(contentsOf: "Configs/cluster.yaml", logger: logger)
/// let client = try ShardedClient(store: store)
/// let group = ServiceGroup(
///     configuration: ServiceGroupConfiguration(
///         services: [
///             .init(service: server),
///             .init(service: ShardMapReloadService(store: store, logger: logger), successTerminationBehavior: .ignore),
///         ],
///         gracefulShutdownSignals: [.sigterm, .sigint],
///         logger: logger
///     )
/// )
/// try await group.run()
/// ```
public struct ShardMapReloadService: Service {
    /// The store kept current.
    public let store: ShardMapStore
    /// How often the file is read to look for changes.
    public let interval: Duration
    /// Whether SIGHUP reloads the file. Only one SIGHUP handler per process makes sense.
    public let reloadsOnHangup: Bool
    private let logger: Logger

    /// A service that keeps `store` following its file.
    /// - Parameters:
    ///   - store: The store. A store without a file has nothing to watch; SIGHUP then only logs the
    ///     store's refusal.
    ///   - interval: How often to read the file. Default: 500 ms; a change lands one to two
    ///     intervals after the write (see ``ShardMapStore/watch(interval:)``).
    ///   - reloadsOnHangup: Reload on SIGHUP too. Default: `true`.
    ///   - logger: Where the SIGHUP reloads are reported; the store logs its own reloads and refusals.
    public init(store: ShardMapStore, interval: Duration = .milliseconds(500), reloadsOnHangup: Bool = true, logger: Logger) {
        self.store = store
        self.interval = interval
        self.reloadsOnHangup = reloadsOnHangup
        self.logger = logger
    }

    /// Watches until graceful shutdown or cancellation, then returns.
    public func run() async throws {
        let store = self.store
        let logger = self.logger
        let interval = self.interval
        // Trapped before watching starts, so an early SIGHUP reloads rather than kills the process.
        let hangups = self.reloadsOnHangup ? await UnixSignalsSequence(trapping: .sighup) : nil
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await store.watch(interval: interval)
                }
                if let hangups {
                    group.addTask {
                        for await _ in hangups {
                            logger.info("SIGHUP: reloading the shard map", metadata: ["file": "\(store.path ?? "-")"])
                            // A refusal has been logged by the store; the map in use stays.
                            _ = try? await store.reloadWithoutBlocking()
                        }
                    }
                }
                await group.waitForAll()
            }
        }
    }
}
