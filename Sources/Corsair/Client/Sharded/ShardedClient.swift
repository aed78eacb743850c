import CoreMetrics
import Metrics
import ShardMap
import Synchronization
import ZeroMQ

/// Sends each request to the one server that owns its key's shard, through a ``ClientEngine``.
///
/// The map comes from a `ShardMapStore` (ShardMap module), which may reload it while requests run: each request
/// takes the map current when it starts. Pools, retry budgets and circuit breakers are per
/// endpoint, in the engine. A keyed request carries its key, and the server decides ownership from
/// it under the server's own map.
///
/// During a reshard the client follows the servers:
/// - a ``ReplyStatus/moved`` answer sends the request at once to the shard it names, carrying the
///   server's newer epoch, and starts a background reload of the store (single-flight, shared);
/// - any reply whose epoch is newer than the store's map starts that reload too;
/// - a redirect spends no attempt and no retry budget, but the request's deadline holds; after
///   ``maxRedirects`` redirects the request fails with ``CorsairError/Code/redirectLoop``;
/// - a moved answer naming a shard the map does not list, or (with CURVE) whose server key the map
///   does not give, waits for the reload first, then fails with
///   ``CorsairError/Code/invalidRedirect`` if the map still does not know it.
///
/// Each redirect shows as ``RequestEvent/redirected(from:to:shardID:epoch:)`` and counts in
/// `corsair_client_redirects_total`.
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
    /// The most redirects one request follows before it fails with ``CorsairError/Code/redirectLoop``.
    public let maxRedirects: Int

    /// The shortest time between two reloads started for the same newer epoch: a client whose file
    /// has not caught up with the servers' yet reads it at most this often.
    static let reloadInterval: Duration = .milliseconds(500)

    private let redirects: Counter
    private let reloads: Counter
    /// The newest epoch a reload was started for, and when.
    private let lastReload = Mutex<(epoch: UInt64, at: ContinuousClock.Instant)?>(nil)
    /// The retry policy of the map last seen, converted and validated once per map rather than per
    /// request; the map is held so that a new map (a reload) is told apart by identity.
    private let mapPolicy = Mutex<(map: ShardMap, policy: Result<RetryPolicy, CorsairError>)?>(nil)

    /// Runs tasks on the engine's I/O thread: the engine's ``ClientEngine/executor``.
    ///
    /// ```swift
    /// try await withTaskExecutorPreference(client.executor) {
    ///     _ = try await client.request(key: "user:42", body: [Array("GET user:42".utf8)])
    /// }
    /// ```
    public var executor: EngineExecutor { self.engine.executor }

    /// A client with an engine of its own; the engine's default retry policy comes from the map's
    /// `retry:` section, converted once per map so reloads apply.
    /// - Parameters:
    ///   - store: The shard map, possibly reloading.
    ///   - configuration: The engine's settings; its `retry` is replaced by the map's.
    ///   - maxRedirects: The most redirects per request. Default: 3.
    public convenience init(
        store: ShardMapStore,
        configuration: ClientEngine.Configuration = ClientEngine.Configuration(),
        maxRedirects: Int = 3
    ) throws(CorsairError) {
        var configuration = configuration
        configuration.retry = RetryPolicy(store.current.config.retry)
        try self.init(store: store, engine: ClientEngine(configuration: configuration), maxRedirects: maxRedirects)
    }

    /// A client that shares an engine.
    public init(store: ShardMapStore, engine: ClientEngine, maxRedirects: Int = 3) {
        self.store = store
        self.engine = engine
        self.maxRedirects = max(0, maxRedirects)
        let prefix = engine.configuration.metricsPrefix
        self.redirects = Counter(label: "\(prefix)_redirects_total")
        self.reloads = Counter(label: "\(prefix)_map_reloads_started_total")
    }

    /// Sends a request to the shard that owns `key`.
    /// - Parameters:
    ///   - key: The key whose shard serves the request (hash tags apply); sent in the header so the
    ///     server can check it owns the key.
    ///   - body: The request's body frames.
    ///   - options: Per-request settings; the shard id, key, epoch and (unless set) retry policy come
    ///     from the map.
    public func request(
        key: String,
        body: [[UInt8]],
        options: RequestOptions = RequestOptions()
    ) async throws(CorsairError) -> Reply {
        try await self.send(body, to: .key(key), options: options)
    }

    /// Sends a request to a shard named by id, bypassing key routing: the server serves it when it is
    /// that shard under its map, and otherwise answers where the shard lives.
    public func request(
        shard id: String,
        body: [[UInt8]],
        options: RequestOptions = RequestOptions()
    ) async throws(CorsairError) -> Reply {
        try await self.send(body, to: .shard(id), options: options)
    }

    /// Stops the engine; requests in flight fail with ``CorsairError/Code/engineClosed``.
    public func shutdown() async {
        await self.engine.shutdown()
    }

    /// What a request is addressed to.
    private enum Target: CustomStringConvertible {
        case key(String)
        case shard(String)

        func resolve(in map: ShardMap) -> ShardInfo? {
            switch self {
            case .key(let key): return map.shard(forKey: key)
            case .shard(let id): return map.shard(id: id)
            }
        }

        var key: String? {
            if case .key(let key) = self { return key }
            return nil
        }

        var description: String {
            switch self {
            case .key(let key): return "key \(key)"
            case .shard(let id): return id
            }
        }
    }

    /// Where the next send goes.
    private struct Destination {
        var endpoint: Endpoint
        var shardID: String
        var epoch: UInt64
    }

    private func send(_ body: [[UInt8]], to target: Target, options: RequestOptions) async throws(CorsairError) -> Reply {
        let map = self.store.current
        guard let shard = target.resolve(in: map) else {
            throw CorsairError.invalidEndpoint("\(target)", message: "no such shard in map epoch \(map.epoch)")
        }
        let first = Destination(endpoint: Self.endpoint(of: shard), shardID: shard.id, epoch: map.epoch)
        // The span's shard attribute; every send sets its own shard id anyway.
        var labelled = options
        labelled.shardID = first.shardID
        return try await RequestSpan.traced(tracer: self.engine.configuration.tracer, endpoint: first.endpoint.address, options: labelled) {
            options throws(CorsairError) in try await self.send(body, to: target, from: first, in: map, options: options)
        }
    }

    /// Sends to `destination`, following moved answers: every send of one request, in its one span.
    private func send(
        _ body: [[UInt8]],
        to target: Target,
        from destination: Destination,
        in map: ShardMap,
        options: RequestOptions
    ) async throws(CorsairError) -> Reply {
        var destination = destination
        let policy: RetryPolicy
        if let given = options.retry {
            policy = given
        } else {
            policy = try self.policy(of: map).get()
        }
        let start = ContinuousClock.now
        var redirects = 0
        while true {
            var sendOptions = options
            sendOptions.shardID = destination.shardID
            sendOptions.routingKey = target.key
            sendOptions.epoch = destination.epoch
            sendOptions.retry = try Self.remaining(policy, since: start, endpoint: destination.endpoint.address)
            do {
                let reply = try await self.engine.send(body, to: destination.endpoint, options: sendOptions)
                self.notice(serverEpoch: reply.serverEpoch, requestEpoch: destination.epoch)
                return reply
            } catch {
                self.notice(serverEpoch: error.serverEpoch ?? 0, requestEpoch: destination.epoch)
                guard error.code == .moved else { throw error }
                redirects += 1
                guard redirects <= self.maxRedirects else {
                    throw CorsairError.redirectLoop(
                        redirects: redirects - 1,
                        endpoint: destination.endpoint.address,
                        message: "moved again to shard \(error.ownerShardID ?? "?") at \(error.ownerEndpoint ?? "?"); "
                            + "at most \(self.maxRedirects) redirects are followed"
                    )
                }
                let from = destination.endpoint.address
                destination = try await self.follow(error, from: destination)
                self.redirects.increment()
                let event = RequestEvent.redirected(
                    from: from,
                    to: destination.endpoint.address,
                    shardID: destination.shardID,
                    epoch: destination.epoch
                )
                options.onEvent?(event)
                self.engine.configuration.onEvent?(event)
            }
        }
    }

    /// Where a moved answer says to go: the endpoint it names, with the server key the map gives for
    /// the shard it names. A shard the map does not list, or whose key it lacks while the cluster
    /// uses CURVE, waits for the store's reload first.
    private func follow(_ moved: CorsairError, from: Destination) async throws(CorsairError) -> Destination {
        guard let shardID = moved.ownerShardID, let address = moved.ownerEndpoint else {
            throw CorsairError.invalidRedirect(
                endpoint: from.endpoint.address,
                ownerShardID: nil,
                ownerEndpoint: nil,
                message: "the moved reply does not name a shard and an endpoint"
            )
        }
        if let problem = ShardInfo.endpointProblem(address) {
            throw CorsairError.invalidRedirect(endpoint: from.endpoint.address, ownerShardID: shardID, ownerEndpoint: address, message: problem)
        }
        let epoch = max(from.epoch, moved.serverEpoch ?? 0)
        var map = self.store.current
        if !Self.canFollow(to: shardID, in: map) {
            _ = try? await self.store.reloadWithoutBlocking()
            map = self.store.current
        }
        guard let shard = map.shard(id: shardID), Self.canFollow(to: shardID, in: map) else {
            let why = map.shard(id: shardID) == nil
                ? "shard \(shardID) is not in the client's map (epoch \(map.epoch)), even after reloading it"
                : "the client's map (epoch \(map.epoch)) gives no CURVE server key for shard \(shardID)"
            throw CorsairError.invalidRedirect(endpoint: from.endpoint.address, ownerShardID: shardID, ownerEndpoint: address, message: why)
        }
        let key = shard.serverPublicKey.flatMap { CurveKey(z85: $0) }
        return Destination(endpoint: Endpoint(address, serverPublicKey: key), shardID: shardID, epoch: max(epoch, map.epoch))
    }

    /// Whether the map lists the shard and, when any shard of the map uses CURVE, gives its key.
    private static func canFollow(to shardID: String, in map: ShardMap) -> Bool {
        guard let shard = map.shard(id: shardID) else { return false }
        return shard.serverPublicKey != nil || !map.shards.contains { $0.serverPublicKey != nil }
    }

    /// The map's `retry:` section as a policy, converted once per map.
    private func policy(of map: ShardMap) -> Result<RetryPolicy, CorsairError> {
        self.mapPolicy.withLock { cached in
            if let cached, cached.map === map { return cached.policy }
            let policy = RetryPolicy(map.config.retry)
            let result: Result<RetryPolicy, CorsairError>
            do {
                try policy.validated()
                result = .success(policy)
            } catch {
                result = .failure(.invalidConfiguration(message: "the map's retry section (epoch \(map.epoch)): \(error)"))
            }
            cached = (map, result)
            return result
        }
    }

    /// The policy with its deadline shortened by the time already spent, so a redirect keeps the
    /// request's deadline; throws when none is left.
    private static func remaining(_ policy: RetryPolicy, since start: ContinuousClock.Instant, endpoint: String) throws(CorsairError) -> RetryPolicy {
        guard let deadline = policy.deadline else { return policy }
        let left = deadline - start.duration(to: .now)
        guard left > .zero else {
            throw CorsairError.deadlineExceeded(attempts: 0, endpoint: endpoint, lastFailure: "the deadline passed while following a redirect")
        }
        var policy = policy
        policy.deadline = left
        return policy
    }

    /// Starts a background reload when a server reports a newer epoch than the store's map, unless
    /// one for that epoch started within ``reloadInterval``.
    private func notice(serverEpoch: UInt64, requestEpoch: UInt64) {
        // Nearly every reply carries the epoch the request did: no need to look at the store.
        guard serverEpoch > requestEpoch, serverEpoch > self.store.current.epoch else { return }
        let now = ContinuousClock.now
        let starts = self.lastReload.withLock { last -> Bool in
            if let last, last.epoch >= serverEpoch, last.at.duration(to: now) < Self.reloadInterval {
                return false
            }
            last = (serverEpoch, now)
            return true
        }
        guard starts else { return }
        self.reloads.increment()
        self.store.reloadInBackground()
    }

    static func endpoint(of shard: ShardInfo) -> Endpoint {
        Endpoint(shard.endpoint, serverPublicKey: shard.serverPublicKey.flatMap { CurveKey(z85: $0) })
    }
}
