import Corsair
import Foundation
import ShardMap
import ZeroMQ

/// `corsair bench` from start to end: raw libzmq and Corsair rounds alternate, so that drift in a
/// shared machine's load falls on both alike.
struct Benchmark: Sendable {
    let settings: BenchSettings
    let mode: String
    /// Where progress lines go (stderr), so stdout carries only the report.
    let progress: @Sendable (String) -> Void

    func run() async throws -> BenchReport {
        let start = ContinuousClock.now
        let baseline = try BaselineRunner()
        let rtt = try await self.roundTrips(baseline)
        let (fanIn, fanInCPU) = try await self.fanIn(baseline)
        self.progress("3-shard cluster")
        let cluster = try await self.cluster()
        self.progress("timeout-and-reconnect cost")
        let reconnect = try await ReconnectCostBench().run(samples: self.settings.reconnectSamples)
        self.progress("shard lookup")
        let lookup = try LookupBench.run(keys: self.settings.lookupKeys)
        let resources = try await self.resources()
        let rttRatio = rtt.first { $0.size == 64 }?.ratio ?? 0
        return BenchReport(
            mode: self.mode,
            machine: .init(cores: ProcessInfo.processInfo.activeProcessorCount, libzmq: ZMQ.versionString),
            rtt: rtt,
            rttRatio: rttRatio,
            fanIn: fanIn,
            fanInRatio: fanIn.rawRPS16 > 0 ? fanIn.corsairRPS16 / fanIn.rawRPS16 : 0,
            pipelinedFanInRatio: fanIn.rawRPS16 > 0 ? fanIn.pipelinedRPS64 / fanIn.rawRPS16 : 0,
            fanInCPU: fanInCPU,
            reqCPURatio: fanInCPU.raw16.total > 0 ? fanInCPU.corsair16.total / fanInCPU.raw16.total : 0,
            pipelinedCPURatio: fanInCPU.raw16.total > 0 ? fanInCPU.pipelined64.total / fanInCPU.raw16.total : 0,
            clusterRPS: cluster,
            reconnectCostMicroseconds: reconnect.medianMicroseconds,
            lookup: lookup,
            resources: resources,
            seconds: Statistics.seconds(start.duration(to: .now))
        )
    }

    // MARK: Parts

    private func roundTrips(_ baseline: BaselineRunner) async throws -> [BenchReport.RoundTrips] {
        // One context for both sides, as the raw baseline has: one libzmq I/O thread carries both.
        let context = try Context()
        let server = try await BenchServer(context: context)
        let engine = try ClientEngine(configuration: .init(logger: BenchServer.quietLogger, context: context))
        let bench = LatencyBench(engine: engine, endpoint: Endpoint(server.endpoint))
        var results: [BenchReport.RoundTrips] = []
        do {
            for size in BenchSettings.bodySizes {
                let count = self.settings.latencyCount[size] ?? 1000
                let warmup = size >= 1 << 20 ? max(1, self.settings.latencyWarmup / 20) : self.settings.latencyWarmup
                var raw: [LatencySummary] = []
                var corsair: [LatencySummary] = []
                var pool: [LatencySummary] = []
                for round in 1...self.settings.latencyRounds {
                    self.progress("round trips, \(size) B, round \(round) of \(self.settings.latencyRounds)")
                    raw.append(try await baseline.roundTrips(size: size, count: count, warmup: warmup))
                    corsair.append(try await bench.run(size: size, count: count, warmup: warmup, onEngineExecutor: true))
                    pool.append(try await bench.run(size: size, count: count, warmup: warmup, onEngineExecutor: false))
                }
                let rawMedian = LatencySummary.median(of: raw)
                let corsairMedian = LatencySummary.median(of: corsair)
                results.append(.init(
                    size: size,
                    raw: rawMedian,
                    corsair: corsairMedian,
                    ratio: rawMedian.p50 > 0 ? corsairMedian.p50 / rawMedian.p50 : 0,
                    corsairOnPool: LatencySummary.median(of: pool)
                ))
            }
        } catch {
            await engine.shutdown()
            await server.stop()
            throw error
        }
        await engine.shutdown()
        await server.stop()
        return results
    }

    /// The fan-in rounds. The Corsair server runs in a child process, so each side's CPU is its
    /// own process's; the client is this process, with a libzmq context of its own.
    private func fanIn(_ baseline: BaselineRunner) async throws -> (BenchReport.FanIn, BenchReport.FanInCPU) {
        let server = try await BenchServerProcess()
        do {
            let result = try await self.fanIn(baseline, server: server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    private func fanIn(_ baseline: BaselineRunner, server: BenchServerProcess) async throws -> (BenchReport.FanIn, BenchReport.FanInCPU) {
        let context = try Context()
        let store = ShardMapStore(map: try Self.map(endpoints: [server.endpoint]), logger: BenchServer.quietLogger)
        let client = try ShardedClient(store: store, configuration: .init(logger: BenchServer.quietLogger, context: context))
        let bench = ThroughputBench(client: client, keys: Self.keys(1024), bodySize: 64)
        // The same server through one pipelined connection, from the same process.
        let pipelinedStore = ShardMapStore(
            map: try Self.map(endpoints: [server.endpoint], retry: RetrySettings(mode: .pipelined)),
            logger: BenchServer.quietLogger
        )
        let pipelinedClient = try ShardedClient(store: pipelinedStore, configuration: .init(logger: BenchServer.quietLogger, context: context))
        let pipelinedBench = ThroughputBench(client: pipelinedClient, keys: Self.keys(1024), bodySize: 64)
        var pipelined: [Int: [ThroughputBench.Round]] = [:]
        var raw: [ThroughputBench.Round] = []
        var corsair16: [ThroughputBench.Round] = []
        var corsair64: [ThroughputBench.Round] = []
        var pool16: [Double] = []
        var pool64: [Double] = []
        let requests = self.settings.fanInRequests
        do {
            for round in 1...self.settings.fanInRounds {
                self.progress("fan-in, round \(round) of \(self.settings.fanInRounds)")
                raw.append(try await baseline.fanIn(clients: 16, requests: requests, size: 64))
                corsair16.append(try await bench.run(requests: requests, concurrency: 16, onEngineExecutor: true, server: server.pid))
                corsair64.append(try await bench.run(requests: requests, concurrency: 64, onEngineExecutor: true, server: server.pid))
                pool16.append(try await bench.run(requests: requests, concurrency: 16, onEngineExecutor: false).rps)
                pool64.append(try await bench.run(requests: requests, concurrency: 64, onEngineExecutor: false).rps)
                for inFlight in [16, 64, 256] {
                    pipelined[inFlight, default: []].append(
                        try await pipelinedBench.run(requests: requests, concurrency: inFlight, onEngineExecutor: true, server: server.pid)
                    )
                }
            }
        } catch {
            await client.shutdown()
            await pipelinedClient.shutdown()
            throw error
        }
        await client.shutdown()
        await pipelinedClient.shutdown()
        let rps = { (rounds: [ThroughputBench.Round]) in Statistics.median(rounds.map(\.rps)) }
        let cpu = { (rounds: [ThroughputBench.Round]) in CPUPerRequest.median(of: rounds.compactMap(\.cpu)) }
        let fanIn = BenchReport.FanIn(
            rawRPS16: rps(raw),
            corsairRPS16: rps(corsair16),
            corsairRPS64: rps(corsair64),
            corsairOnPoolRPS16: Statistics.median(pool16),
            corsairOnPoolRPS64: Statistics.median(pool64),
            pipelinedRPS16: rps(pipelined[16] ?? []),
            pipelinedRPS64: rps(pipelined[64] ?? []),
            pipelinedRPS256: rps(pipelined[256] ?? [])
        )
        let fanInCPU = BenchReport.FanInCPU(
            raw16: cpu(raw),
            corsair16: cpu(corsair16),
            corsair64: cpu(corsair64),
            pipelined16: cpu(pipelined[16] ?? []),
            pipelined64: cpu(pipelined[64] ?? []),
            pipelined256: cpu(pipelined[256] ?? [])
        )
        return (fanIn, fanInCPU)
    }

    private func cluster() async throws -> Double {
        let context = try Context()
        var servers: [BenchServer] = []
        for _ in 0..<3 {
            servers.append(try await BenchServer(context: context))
        }
        let store = ShardMapStore(map: try Self.map(endpoints: servers.map(\.endpoint)), logger: BenchServer.quietLogger)
        let client = try ShardedClient(store: store, configuration: .init(logger: BenchServer.quietLogger, context: context))
        let result: Result<Double, any Error>
        do {
            result = .success(
                try await ThroughputBench(client: client, keys: Self.keys(4096), bodySize: 64)
                    .run(requests: self.settings.clusterRequests, concurrency: 64, onEngineExecutor: true).rps
            )
        } catch {
            result = .failure(error)
        }
        await client.shutdown()
        for server in servers {
            await server.stop()
        }
        return try result.get()
    }

    /// A warm-up storm, then a measured one: glibc keeps memory freed by the first, so only the
    /// second shows whether the engine leaks.
    private func resources() async throws -> BenchReport.Resources {
        self.progress("reconnect storm (warm-up), \(self.settings.stormReconnects) reconnects")
        let warmup = try await ReconnectStorm.run(reconnects: self.settings.stormReconnects)
        self.progress("reconnect storm (measured), \(self.settings.stormReconnects) reconnects")
        let measured = try await ReconnectStorm.run(reconnects: self.settings.stormReconnects)
        return .init(
            warmup: warmup,
            measured: measured,
            fdsChangePercent: Self.change(from: measured.fdsBefore, to: measured.fdsAfter),
            rssChangePercent: Self.change(from: measured.rssBeforeKiB, to: measured.rssAfterKiB)
        )
    }

    // MARK: Helpers

    private static func change(from before: Int, to after: Int) -> Double {
        before > 0 ? Double(after - before) / Double(before) * 100 : 0
    }

    /// A slot map spreading 16384 slots evenly over the endpoints.
    private static func map(endpoints: [String], retry: RetrySettings = RetrySettings()) throws -> ShardMap {
        let slots = RoutingSettings.defaultSlotCount
        let shards = endpoints.enumerated().map { index, endpoint in
            ShardInfo(
                id: "s\(index)",
                endpoint: endpoint,
                slots: [(index * slots / endpoints.count)...((index + 1) * slots / endpoints.count - 1)]
            )
        }
        return try ShardMap(ClusterConfig(cluster: "bench", epoch: 1, routing: .slots(), shards: shards, retry: retry))
    }

    private static func keys(_ count: Int) -> [String] {
        (0..<count).map { "key:\($0)" }
    }
}
