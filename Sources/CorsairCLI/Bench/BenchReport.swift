/// Every figure of one `corsair bench` run; `--json` prints it as one object.
struct BenchReport: Sendable, Codable {
    struct Machine: Sendable, Codable {
        var cores: Int
        var libzmq: String
    }

    /// Round-trip latency at one body size: the medians over the alternating rounds.
    struct RoundTrips: Sendable, Codable {
        var size: Int
        var raw: LatencySummary
        /// The caller's task on the engine's executor.
        var corsair: LatencySummary
        /// Corsair p50 / raw p50.
        var ratio: Double
        /// The caller's task on the shared concurrency pool: two thread hand-offs more.
        var corsairOnPool: LatencySummary

        enum CodingKeys: String, CodingKey {
            case size, raw, corsair, ratio
            case corsairOnPool = "corsair_on_pool"
        }
    }

    /// Requests per second; Corsair's tasks run on the engine's executor, or on the shared pool.
    struct FanIn: Sendable, Codable {
        var rawRPS16: Double
        var corsairRPS16: Double
        var corsairRPS64: Double
        var corsairOnPoolRPS16: Double
        var corsairOnPoolRPS64: Double
        /// Pipelined mode: one DEALER connection, 16, 64 and 256 requests in flight.
        var pipelinedRPS16: Double
        var pipelinedRPS64: Double
        var pipelinedRPS256: Double

        enum CodingKeys: String, CodingKey {
            case rawRPS16 = "raw_rps_16"
            case corsairRPS16 = "corsair_rps_16"
            case corsairRPS64 = "corsair_rps_64"
            case corsairOnPoolRPS16 = "corsair_on_pool_rps_16"
            case corsairOnPoolRPS64 = "corsair_on_pool_rps_64"
            case pipelinedRPS16 = "pipelined_rps_16"
            case pipelinedRPS64 = "pipelined_rps_64"
            case pipelinedRPS256 = "pipelined_rps_256"
        }
    }

    /// CPU µs per request of each fan-in round, per side (medians over the rounds): raw libzmq's
    /// REQ threads against its ROUTER echo thread, and Corsair's client (this process) against
    /// its server (a `corsair serve` child process).
    struct FanInCPU: Sendable, Codable {
        var raw16: CPUPerRequest
        var corsair16: CPUPerRequest
        var corsair64: CPUPerRequest
        var pipelined16: CPUPerRequest
        var pipelined64: CPUPerRequest
        var pipelined256: CPUPerRequest

        enum CodingKeys: String, CodingKey {
            case raw16 = "raw_16"
            case corsair16 = "corsair_16"
            case corsair64 = "corsair_64"
            case pipelined16 = "pipelined_16"
            case pipelined64 = "pipelined_64"
            case pipelined256 = "pipelined_256"
        }
    }

    struct Resources: Sendable, Codable {
        /// The first storm: it also grows the allocator's arenas, which glibc keeps.
        var warmup: ReconnectStorm.Report
        /// The second storm, after the warm-up: the figure the 5% target applies to.
        var measured: ReconnectStorm.Report
        var fdsChangePercent: Double
        var rssChangePercent: Double

        enum CodingKeys: String, CodingKey {
            case warmup, measured
            case fdsChangePercent = "fds_change_pct"
            case rssChangePercent = "rss_change_pct"
        }
    }

    var mode: String
    var machine: Machine
    var rtt: [RoundTrips]
    var rttRatio: Double
    var fanIn: FanIn
    var fanInRatio: Double
    /// Pipelined Corsair at 64 in flight / raw ROUTER with 16 lock-step REQ threads.
    var pipelinedFanInRatio: Double
    var fanInCPU: FanInCPU
    /// Both sides' CPU per request: Corsair REQ mode at 16 in flight / raw with 16 REQ threads.
    var reqCPURatio: Double
    /// Both sides' CPU per request: pipelined Corsair at 64 in flight / raw with 16 REQ threads.
    var pipelinedCPURatio: Double
    var clusterRPS: Double
    var reconnectCostMicroseconds: Double
    var lookup: LookupBench.Result
    var resources: Resources
    var seconds: Double

    enum CodingKeys: String, CodingKey {
        case mode, machine, rtt, lookup, resources, seconds
        case rttRatio = "rtt_ratio"
        case fanIn = "fanin"
        case fanInRatio = "fanin_ratio"
        case pipelinedFanInRatio = "pipelined_fanin_ratio"
        case fanInCPU = "fanin_cpu"
        case reqCPURatio = "req_cpu_ratio"
        case pipelinedCPURatio = "pipelined_cpu_ratio"
        case clusterRPS = "cluster_rps"
        case reconnectCostMicroseconds = "reconnect_cost_us"
    }
}
