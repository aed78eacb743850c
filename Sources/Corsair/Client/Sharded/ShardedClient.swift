import ShardMap
import ZeroMQ

/// Sends each request to the one server that owns its key's shard, through a ``ClientEngine``.
///
/// The map comes from a `ShardMapStore` (ShardMap module), which may reload it while requests run:
/// each request takes the map current when it starts and keeps it to the end. Pools, retry budgets
/// and circuit breakers are per endpoint, in the engine. A "wrong shard" reply makes the client
/// reload its map and, when the server knows a newer epoch, redirect the request once to the owner.
///
/// ```swift
/// let store = try ShardMapStore(contentsOf: "Configs/demo.yaml", logger: logger)
/// let client = try ShardedClient(store: store)
/// let reply = try await client.request(key: "user:42", body: [Array("GET user:42".utf8)])
/// ```
public final class ShardedClient: Sendable {
    /// Where the shard map comes from.
    public let store: ShardMapStore
    /// The engine that sends every request.
    public let engine: ClientEngine

    /// Runs tasks on the engine's I/O thread: the engine's ``ClientEngine/executor``.
    ///
    /// ```swift
    /// try await withTaskExecutorPreference(client.executor) {
    ///     _ = try await client.request(key: "user:42", body: [Array("GET user:42".utf8)])
    /// }
    /// ```
    public var executor: EngineExecutor { self.engine.executor }

    /// A client with an engine of its own; the engine's default retry policy comes from the map's
    /// `retry:` section, re-read on every request so reloads apply.
    /// - Parameters:
    ///   - store: The shard map, possibly reloading.
    ///   - configuration: The engine's settings; its `retry` is replaced by the map's.
    public convenience init(
        store: ShardMapStore,
        configuration: ClientEngine.Configuration = ClientEngine.Configuration()
    ) throws(CorsairError) {
        var configuration = configuration
        configuration.retry = RetryPolicy(store.current.config.retry)
        try self.init(store: store, engine: ClientEngine(configuration: configuration))
    }

    /// A client that shares an engine.
    public init(store: ShardMapStore, engine: ClientEngine) {
        self.store = store
        self.engine = engine
    }

    /// Sends a request to the shard that owns `key`.
    /// - Parameters:
    ///   - key: The key whose shard serves the request (hash tags apply).
    ///   - body: The request's body frames.
    ///   - options: Per-request settings; the shard id, epoch and (unless set) retry policy come
    ///     from the map.
    public func request(
        key: String,
        body: [[UInt8]],
        options: RequestOptions = RequestOptions()
    ) async throws(CorsairError) -> Reply {
        try await self.send(body, to: .key(key), in: self.store.current, options: options, redirected: false)
    }

    /// Sends a request to a shard named by id, bypassing key routing.
    public func request(
        shard id: String,
        body: [[UInt8]],
        options: RequestOptions = RequestOptions()
    ) async throws(CorsairError) -> Reply {
        try await self.send(body, to: .shard(id), in: self.store.current, options: options, redirected: false)
    }

    /// Stops the engine; requests in flight fail with ``CorsairError/Code/engineClosed``.
    public func shutdown() async {
        await self.engine.shutdown()
    }

    /// What a request is addressed to: re-resolved against a newer map after a redirect, since a
    /// reshard may have moved a key to another shard.
    private enum Target {
        case key(String)
        case shard(String)

        func resolve(in map: ShardMap) -> ShardInfo? {
            switch self {
            case .key(let key): return map.shard(forKey: key)
            case .shard(let id): return map.shard(id: id)
            }
        }
    }

    private func send(
        _ body: [[UInt8]],
        to target: Target,
        in map: ShardMap,
        options: RequestOptions,
        redirected: Bool
    ) async throws(CorsairError) -> Reply {
        guard let shard = target.resolve(in: map) else {
            throw CorsairError.invalidEndpoint("\(target)", message: "no such shard in map epoch \(map.epoch)")
        }
        var options = options
        options.shardID = shard.id
        options.epoch = map.epoch
        if options.retry == nil {
            options.retry = RetryPolicy(map.config.retry)
        }
        do {
            return try await self.engine.request(body, to: Self.endpoint(of: shard), options: options)
        } catch where error.code == .wrongShard && !redirected {
            return try await self.redirect(body, to: target, from: map, after: error, options: options)
        }
    }

    /// Follows a "wrong shard" reply once: reload the map, then go where the newer map, or the
    /// server that knows a newer epoch, says the shard lives.
    private func redirect(
        _ body: [[UInt8]],
        to target: Target,
        from map: ShardMap,
        after error: CorsairError,
        options: RequestOptions
    ) async throws(CorsairError) -> Reply {
        _ = try? await self.store.reloadWithoutBlocking()
        let fresh = self.store.current
        if fresh.epoch > map.epoch {
            return try await self.send(body, to: target, in: fresh, options: options, redirected: true)
        }
        guard let owner = error.ownerEndpoint, let serverEpoch = error.serverEpoch, serverEpoch > map.epoch else {
            throw error
        }
        var options = options
        options.epoch = serverEpoch
        let key = target.resolve(in: map)?.serverPublicKey.flatMap { CurveKey(z85: $0) }
        return try await self.engine.request(body, to: Endpoint(owner, serverPublicKey: key), options: options)
    }

    static func endpoint(of shard: ShardInfo) -> Endpoint {
        Endpoint(shard.endpoint, serverPublicKey: shard.serverPublicKey.flatMap { CurveKey(z85: $0) })
    }
}
