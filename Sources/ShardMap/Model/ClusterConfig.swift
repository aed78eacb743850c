/// One shard-map config file: the cluster's name, its epoch, how keys are routed, the shards, and
/// the client and server settings that travel with the map.
///
/// Load one with ``init(contentsOf:)`` or ``init(parsing:file:)-(String,_)``, which check the schema and every
/// rule in ``validate()``; build a ``ShardMap`` from it to route keys.
///
/// ```swift
/// let config = try ClusterConfig(contentsOf: "Configs/demo.yaml")
/// let map = try ShardMap(config)
/// ```
public struct ClusterConfig: Hashable, Sendable {
    /// The cluster's name, fixed for the life of a running map.
    public var cluster: String
    /// The map's version, at least 1, raised on every change to the map. Travels in every request.
    public var epoch: UInt64
    /// How a key chooses its shard.
    public var routing: RoutingSettings
    /// The shards, in file order; with ``RoutingSettings/Strategy/jump`` bucket `i` is `shards[i]`.
    public var shards: [ShardInfo]
    /// Client retry settings; every field is optional.
    public var retry: RetrySettings
    /// Server settings; every field is optional.
    public var server: ServerSettings

    /// A config from its parts. Call ``validate()`` (or build a ``ShardMap``) to check it.
    public init(
        cluster: String,
        epoch: UInt64,
        routing: RoutingSettings,
        shards: [ShardInfo],
        retry: RetrySettings = RetrySettings(),
        server: ServerSettings = ServerSettings()
    ) {
        self.cluster = cluster
        self.epoch = epoch
        self.routing = routing
        self.shards = shards
        self.retry = retry
        self.server = server
    }
}
