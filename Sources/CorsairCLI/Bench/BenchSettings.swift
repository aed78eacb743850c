/// How much work each part of `corsair bench` does: full, `--quick` (under a minute) or
/// `--smoke` (seconds, for the end-to-end test, even in a debug build).
struct BenchSettings: Sendable {
    /// Raw and Corsair latency rounds per body size; they alternate, so drift hits both alike.
    var latencyRounds: Int
    /// Timed round trips per latency round, by body size.
    var latencyCount: [Int: Int]
    /// Untimed round trips before each latency round.
    var latencyWarmup: Int
    /// Raw and Corsair fan-in rounds; they alternate.
    var fanInRounds: Int
    /// Requests per fan-in round.
    var fanInRequests: Int
    /// Requests through the 3-shard cluster.
    var clusterRequests: Int
    /// Timeout-and-reconnect cycles measured.
    var reconnectSamples: Int
    /// Keys looked up per routing strategy.
    var lookupKeys: Int
    /// Forced reconnects per storm (a warm-up storm, then a measured one).
    var stormReconnects: Int

    static let bodySizes = [64, 4096, 1 << 20]

    static let full = BenchSettings(
        latencyRounds: 5,
        latencyCount: [64: 20_000, 4096: 10_000, 1 << 20: 500],
        latencyWarmup: 500,
        fanInRounds: 5,
        fanInRequests: 100_000,
        clusterRequests: 100_000,
        reconnectSamples: 20,
        lookupKeys: 1_000_000,
        stormReconnects: 10_000
    )

    static let quick = BenchSettings(
        latencyRounds: 3,
        latencyCount: [64: 5_000, 4096: 3_000, 1 << 20: 100],
        latencyWarmup: 200,
        fanInRounds: 3,
        fanInRequests: 20_000,
        clusterRequests: 20_000,
        reconnectSamples: 5,
        lookupKeys: 1_000_000,
        stormReconnects: 10_000
    )

    static let smoke = BenchSettings(
        latencyRounds: 1,
        latencyCount: [64: 200, 4096: 100, 1 << 20: 5],
        latencyWarmup: 20,
        fanInRounds: 1,
        fanInRequests: 500,
        clusterRequests: 300,
        reconnectSamples: 1,
        lookupKeys: 10_000,
        stormReconnects: 200
    )
}
