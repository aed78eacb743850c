import Logging
import Synchronization

/// Holds the shard map in use and replaces it, atomically, when its file changes.
///
/// ``current`` is a snapshot: a request takes it once and finishes on it, whatever reloads happen
/// meanwhile. ``reload()``, ``reloadInBackground(then:)`` and ``watch(interval:)`` read the file
/// again, validate it and swap the new map in only if it is valid and follows the epoch rules;
/// otherwise they log an error (once per bad content) and the last good map stays. A
/// ``ShardMapReloadService`` runs the watch and SIGHUP for a service.
///
/// Background reloads are single-flight: while one is in flight, every further caller shares its
/// result, so a reshard that many requests notice at once reads the file once.
///
/// The epoch rules, checked against the map in use:
/// - a higher epoch is accepted;
/// - a lower epoch is refused (``ShardMapError/Code/epochRegressed``): it is most likely an old file
///   put back, and clients and servers compare epochs to spot stale maps;
/// - the same epoch with different shards is refused (``ShardMapError/Code/epochNotIncreased``):
///   two different maps under one epoch would make those comparisons meaningless;
/// - the same epoch with the same shards is accepted when only the `retry:` or `server:` settings
///   changed (they are not part of the map), and is a no-op when nothing changed;
/// - a different cluster name or routing (strategy, slot count, hash, hash tags) is refused
///   (``ShardMapError/Code/routingChanged``) whatever the epoch: it would move nearly every key at
///   once; restart the services to change them.
///
/// ```swift
/// let store = try ShardMapStore(contentsOf: "Configs/demo.yaml", logger: logger)
/// let watcher = Task { await store.watch() }
/// let map = store.current                   // one snapshot per request
/// let shard = map.shard(forKey: "user:42")
/// ```
public final class ShardMapStore: Sendable {
    /// What a reload did.
    public enum ReloadOutcome: Sendable {
        /// The file holds the map already in use (perhaps with other comments or layout).
        case unchanged(ShardMap)
        /// A new map replaced the previous one.
        case updated(previous: ShardMap, current: ShardMap)
    }

    /// The file the store reloads from; `nil` for a store fed only through ``update(to:)``.
    public let path: String?

    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var map: ShardMap
        /// A hash of the bytes the map came from, so that an untouched file is not parsed again.
        var contentHash: UInt64?
        /// A hash of the bytes last refused, so that the watcher reports a bad file once, not every poll.
        var rejectedHash: UInt64?
        /// Why those bytes were refused, thrown again without logging when they come back.
        var rejectedError: ShardMapError?
        /// The callers waiting on the background reload in flight; `nil` when none is.
        var reloadWaiters: [@Sendable (Result<ReloadOutcome, ShardMapError>) -> Void]?
        /// Reloads that read the file (shared ones count once; the watcher's polls do not count).
        var fileReloads = 0
        var observers: [Int: AsyncStream<ShardMap>.Continuation] = [:]
        var nextObserver = 0
    }

    /// Loads the map in a file; the file must be valid, as there is no earlier map to fall back on.
    ///
    /// - Parameters:
    ///   - path: The config file, YAML or JSON.
    ///   - logger: Where reloads and refusals are reported.
    public init(contentsOf path: String, logger: Logger) throws(ShardMapError) {
        let bytes = try ConfigFile.read(path)
        let map = try ShardMap(ConfigFile.parse(bytes, file: path))
        self.path = path
        self.logger = logger
        self.state = Mutex(State(map: map, contentHash: FNV1a64.hash(bytes)))
    }

    /// A store that starts from a map already built.
    ///
    /// - Parameters:
    ///   - map: The map to start from.
    ///   - path: The file ``reload()`` and ``watch(interval:)`` read, or `nil` for none.
    ///   - logger: Where reloads and refusals are reported.
    public init(map: ShardMap, path: String? = nil, logger: Logger) {
        self.path = path
        self.logger = logger
        self.state = Mutex(State(map: map))
    }

    deinit {
        // Outside any lock: finishing a stream runs its termination handler.
        let observers = self.state.withLock { $0.observers.values }
        for observer in observers {
            observer.finish()
        }
    }

    /// The map in use. Take it once per request and keep it: a reload does not change it.
    public var current: ShardMap {
        self.state.withLock { $0.map }
    }

    /// Reads the file again and swaps in its map if it is valid and follows the epoch rules.
    ///
    /// A refusal is logged at error level and thrown; the map in use stays. Call this on SIGHUP.
    ///
    /// - Returns: Whether the map changed.
    @discardableResult
    public func reload() throws(ShardMapError) -> ReloadOutcome {
        guard let path = self.path else {
            throw ShardMapError(.unreadableFile, "this shard-map store has no file to reload")
        }
        self.state.withLock { $0.fileReloads += 1 }
        self.logger.debug("reading the shard map file", metadata: ["file": "\(path)"])
        let bytes: [UInt8]
        do {
            bytes = try ConfigFile.read(path)
        } catch {
            self.logRefusal(error)
            throw error
        }
        return try self.apply(bytes, hash: FNV1a64.hash(bytes))
    }

    /// Re-reads the file like ``reload()``, for async callers, sharing the background reload in
    /// flight if there is one (see ``reloadInBackground(then:)``); the caller's thread is not blocked
    /// while it waits.
    ///
    /// ```swift
    /// for await _ in hangups {
    ///     _ = try? await store.reloadWithoutBlocking()
    /// }
    /// ```
    @discardableResult
    public func reloadWithoutBlocking() async throws(ShardMapError) -> ReloadOutcome {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<ReloadOutcome, ShardMapError>, Never>) in
            self.reloadInBackground { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Re-reads the file like ``reload()`` on the shard-map parse thread and calls `completion`
    /// there with the outcome; returns at once.
    ///
    /// Single-flight: a call made while a background reload is in flight joins it and gets its
    /// result, so any number of callers cause one read of the file. No thread is started per call
    /// and no thread of the Swift concurrency pool waits. A store without a file completes at once
    /// with ``ShardMapError/Code/unreadableFile``.
    ///
    /// ```swift
    /// store.reloadInBackground { outcome in
    ///     if case .success(.updated(_, let map)) = outcome { print("now at epoch", map.epoch) }
    /// }
    /// ```
    public func reloadInBackground(then completion: (@Sendable (Result<ReloadOutcome, ShardMapError>) -> Void)? = nil) {
        let waiter: @Sendable (Result<ReloadOutcome, ShardMapError>) -> Void = completion ?? { _ in }
        let starts = self.state.withLock { state -> Bool in
            if state.reloadWaiters != nil {
                state.reloadWaiters?.append(waiter)
                return false
            }
            state.reloadWaiters = [waiter]
            return true
        }
        guard starts else { return }
        BigStackThread.submit {
            let result: Result<ReloadOutcome, ShardMapError>
            do throws(ShardMapError) {
                result = .success(try self.reload())
            } catch {
                result = .failure(error)
            }
            let waiters = self.state.withLock { state in
                defer { state.reloadWaiters = nil }
                return state.reloadWaiters ?? []
            }
            for waiter in waiters {
                waiter(result)
            }
        }
    }

    /// How many reloads have read the file so far: ``reload()`` calls and background reloads, a
    /// shared background reload counting once; the watcher's polls are not counted.
    public var fileReloads: Int {
        self.state.withLock { $0.fileReloads }
    }

    /// Swaps in a map built elsewhere, under the same epoch rules as a reload.
    ///
    /// - Returns: Whether the map changed.
    @discardableResult
    public func update(to map: ShardMap) throws(ShardMapError) -> ReloadOutcome {
        do {
            return try self.install(map, hash: nil)
        } catch {
            self.logRefusal(error)
            throw error
        }
    }

    /// Every map swapped in from now on, newest first if the consumer falls behind.
    ///
    /// The stream does not repeat the map in use; read ``current`` for that. It ends when the store
    /// is released.
    public func updates() -> AsyncStream<ShardMap> {
        let (stream, continuation) = AsyncStream.makeStream(of: ShardMap.self, bufferingPolicy: .bufferingNewest(1))
        let id = self.state.withLock { state in
            let id = state.nextObserver
            state.nextObserver += 1
            state.observers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.observers.removeValue(forKey: id) }
        }
        return stream
    }

    // MARK: - Applying a new file

    /// Parses bytes read from the file and installs their map; logs and rethrows a refusal.
    func apply(_ bytes: [UInt8], hash: UInt64) throws(ShardMapError) -> ReloadOutcome {
        let (map, known, rejected) = self.state.withLock { state in
            (state.map, state.contentHash, state.rejectedHash == hash ? state.rejectedError : nil)
        }
        if hash == known {
            return .unchanged(map)
        }
        if let rejected {
            // Refused and logged already: a file that stays broken mid-reshard is logged once.
            throw rejected
        }
        do {
            let candidate = try ShardMap(ConfigFile.parse(bytes, file: self.path))
            return try self.install(candidate, hash: hash)
        } catch {
            self.state.withLock { state in
                state.rejectedHash = hash
                state.rejectedError = error
            }
            self.logRefusal(error)
            throw error
        }
    }

    /// Swaps `candidate` in if the epoch rules allow it, and tells the observers.
    private func install(_ candidate: ShardMap, hash: UInt64?) throws(ShardMapError) -> ReloadOutcome {
        let outcome = try self.state.withLock { (state) throws(ShardMapError) -> ReloadOutcome in
            let previous = state.map
            if candidate.config == previous.config {
                state.contentHash = hash ?? state.contentHash
                return .unchanged(previous)
            }
            try self.checkSuccession(from: previous, to: candidate)
            state.map = candidate
            state.contentHash = hash
            state.rejectedHash = nil
            state.rejectedError = nil
            // Under the lock, so that observers see maps in the order they were installed.
            for observer in state.observers.values {
                observer.yield(candidate)
            }
            return .updated(previous: previous, current: candidate)
        }
        if case .updated(let previous, let current) = outcome {
            var metadata: Logger.Metadata = [
                "epoch": "\(current.epoch)",
                "previous-epoch": "\(previous.epoch)",
                "shards": "\(current.shards.count)",
            ]
            if let path = self.path {
                metadata["file"] = "\(path)"
            }
            let what = current.epoch == previous.epoch ? "settings" : "map"
            self.logger.info("shard map reloaded: new \(what) in use", metadata: metadata)
        }
        return outcome
    }

    private func checkSuccession(from previous: ShardMap, to candidate: ShardMap) throws(ShardMapError) {
        if candidate.cluster != previous.cluster {
            throw ShardMapError(
                .routingChanged,
                "the cluster name changed from \(TextQuote.quoted(previous.cluster)) to "
                    + "\(TextQuote.quoted(candidate.cluster)); restart the services to switch clusters",
                file: self.path,
                keyPath: "cluster"
            )
        }
        if candidate.routing != previous.routing {
            throw ShardMapError(
                .routingChanged,
                "the routing changed (\(Self.describe(previous.routing)) to \(Self.describe(candidate.routing))); "
                    + "it is fixed for a running map, so restart the services to change it",
                file: self.path,
                keyPath: "routing"
            )
        }
        if candidate.epoch < previous.epoch {
            throw ShardMapError(
                .epochRegressed,
                "epoch \(candidate.epoch) is lower than the epoch in use, \(previous.epoch); raise it above \(previous.epoch)",
                file: self.path,
                keyPath: "epoch"
            )
        }
        if candidate.epoch == previous.epoch, candidate.shards != previous.shards {
            throw ShardMapError(
                .epochNotIncreased,
                "the shards changed but the epoch is still \(previous.epoch); raise it to \(previous.epoch + 1) or more",
                file: self.path,
                keyPath: "epoch"
            )
        }
    }

    /// Whether bytes with this hash are the map in use or were refused already.
    func isKnown(_ hash: UInt64) -> Bool {
        self.state.withLock { $0.contentHash == hash || $0.rejectedHash == hash }
    }

    func logUnreadable(_ error: ShardMapError) {
        self.logger.warning(
            "shard map file unreadable; the last good map stays in use",
            metadata: ["error": "\(error)", "epoch-in-use": "\(self.current.epoch)"]
        )
    }

    private func logRefusal(_ error: ShardMapError) {
        let epoch = self.current.epoch
        self.logger.error(
            "shard map reload refused; the last good map stays in use",
            metadata: ["error": "\(error)", "code": "\(error.code)", "epoch-in-use": "\(epoch)"]
        )
    }

    private static func describe(_ routing: RoutingSettings) -> String {
        var text = routing.strategy.rawValue
        if let count = routing.slotCount {
            text += " \(count)"
        }
        return text + " \(routing.hash.rawValue), hash tags \(routing.hashTag ? "on" : "off")"
    }
}
