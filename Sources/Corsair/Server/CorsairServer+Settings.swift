import ShardMap

extension CorsairServer.Configuration {
    /// A configuration for `endpoints` with the limits a config file's `server:` section gives;
    /// fields the section leaves out keep their defaults.
    ///
    /// ```swift
    /// let map = try ShardMap(contentsOf: "Configs/cluster.yaml")
    /// if let shard = map.shard(id: "s0") {
    ///     let configuration = CorsairServer.Configuration(endpoints: [shard.endpoint], settings: map.config.server)
    /// }
    /// ```
    /// - Parameters:
    ///   - endpoints: The endpoints to bind.
    ///   - settings: The file's server settings.
    public init(endpoints: [String], settings: ServerSettings) {
        self.init(endpoints: endpoints)
        self.apply(settings)
    }

    /// Takes every limit `settings` gives: in-flight bound, reply cache size, bytes and lifetime, largest
    /// frame, largest request, drain timeout and whether raw requests are allowed. Fields left out stay as they are.
    public mutating func apply(_ settings: ServerSettings) {
        if let maxInFlight = settings.maxInFlight { self.maxInFlight = maxInFlight }
        if let entries = settings.replyCache.entries { self.replayCacheEntries = entries }
        if let ttl = settings.replyCache.ttl { self.replayCacheTTL = ttl }
        if let maxBytes = settings.replyCache.maxBytes { self.replayCacheMaxBytes = maxBytes }
        if let size = settings.maxMessageSize { self.maxMessageSize = Int64(size) }
        if let size = settings.maxRequestSize { self.maxRequestBytes = size }
        if let drain = settings.drainTimeout { self.drainTimeout = drain }
        if let allow = settings.allowRawRequests { self.allowsRawRequests = allow }
    }
}
