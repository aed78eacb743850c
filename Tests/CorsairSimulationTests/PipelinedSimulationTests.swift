import Corsair
import CorsairSimulation
import Foundation
import ShardMap
import Testing

/// Pipelined mode in the simulator: one connection per client and shard, silence detection per
/// connection, resends with the same request id. (Its determinism is tested with the other modes'.)
@Suite("Simulator: pipelined mode")
struct PipelinedSimulationTests {
    @Test("a down shard: every attempt on its connection fails with it, in batches, one rebuild per silent attempt timeout")
    func downShardFailsInBatches() throws {
        let map = try SimulationFixture.map(shards: 1)
        let workload = SimulationScenario.Workload.open(clients: 1, ratePerClient: 100, duration: .seconds(10))
        let pipelined = try SimulationFixture.run(map: map, workload: workload, faults: ["s0:down@0s"], policy: SimulationFixture.policy(mode: .pipelined))
        let recreate = try SimulationFixture.run(map: map, workload: workload, faults: ["s0:down@0s"], policy: SimulationFixture.policy())

        // Without a budget every request still spends its three attempts.
        #expect(pipelined.errors == ["abandoned": pipelined.requests], "\(pipelined.json)")
        #expect(pipelined.amplification == 3, "\(pipelined.json)")
        // Nothing ever answers, so no attempt outlives the connection it went on: each ends with a rebuild.
        #expect(pipelined.rebuildFailedAttempts == pipelined.attempts, "\(pipelined.json)")
        // One client, one connection: a new one opens within a request's gap (10 ms on average)
        // of the last rebuild and is found silent 100 ms later, so at most one rebuild per 100 ms
        // of the run (retries go on after the last arrival at 10 s).
        let windows = Int((pipelined.virtualSeconds / 0.1).rounded(.down))
        #expect(pipelined.connectionsRebuilt >= 60 && pipelined.connectionsRebuilt <= windows, "\(pipelined.json)")
        #expect(pipelined.attempts >= 8 * pipelined.connectionsRebuilt, "attempts fail in batches: \(pipelined.json)")
        // An attempt sent late in a silent window fails with the others at its end, before its own
        // timeout: requests fail sooner than with one socket each, never later than three whole
        // attempts and two backoffs.
        let failPipelined = try #require(pipelined.failFastMilliseconds)
        let failRecreate = try #require(recreate.failFastMilliseconds)
        #expect(failRecreate >= 300, "\(recreate.json)")
        #expect(failPipelined < failRecreate - 50, "pipelined \(failPipelined) ms, recreate \(failRecreate) ms")
        #expect(try #require(pipelined.failP99Milliseconds) <= 381, "\(pipelined.json)")
        #expect(recreate.connectionsRebuilt == 0 && recreate.rebuildFailedAttempts == 0 && recreate.mode == "recreate")
    }

    @Test("a shard down for a while: its requests fail with their connections, and succeed again once it is back")
    func pausedShardRecovers() throws {
        let map = try SimulationFixture.map(shards: 3)
        let report = try SimulationFixture.run(
            map: map,
            workload: .open(clients: 20, ratePerClient: 20, duration: .seconds(10)),
            faults: ["s1:down@2s+3s"],
            policy: SimulationFixture.policy(mode: .pipelined)
        )
        #expect(report.connectionsRebuilt > 0, "\(report.json)")
        // The other shards' connections hear replies all along.
        #expect(report.healthyAmplification == 1, "\(report.json)")
        let failed = report.requests - report.succeeded
        #expect(failed > 0 && report.errors == ["abandoned": failed], "\(report.json)")
        // Requests sent in the last 300 ms or so of the pause are served when it ends.
        #expect(try #require(report.recoverySeconds) <= 0.2, "\(report.json)")
    }

    @Test("a slow shard whose replies keep coming rebuilds nothing, and the fast shards see no retries")
    func slowShardRebuildsNothing() throws {
        let map = try SimulationFixture.map(shards: 3)
        let report = try SimulationFixture.run(
            map: map,
            workload: .open(clients: 20, ratePerClient: 50, duration: .seconds(10)),
            faults: ["s1:slow=60ms@0s"],
            policy: SimulationFixture.policy(mode: .pipelined)
        )
        #expect(report.connectionsRebuilt == 0, "\(report.json)")
        #expect(report.successRate == 1 && report.retries == 0, "\(report.json)")
        #expect(report.healthyAmplification == 1 && report.faultedAmplification == 1, "\(report.json)")
    }

    @Test("a slow request among fast ones on its connection times out alone and is answered by its first run")
    func slowRequestAmongFastOnes() throws {
        // As in the recreate-mode test: 0.55 % of replies take 100 to 120 ms, over the 100 ms timeout.
        let report = try SimulationFixture.slowTailRun(mode: .pipelined)
        #expect(report.retries > 500, "slow requests time out and are resent: \(report.json)")
        #expect(report.connectionsRebuilt == 0, "replies to the fast requests keep every connection alive: \(report.json)")
        #expect(report.successRate == 1, "\(report.json)")
        // The resend carries the same request id, so the server answers it from the first run: no
        // request waits longer than the slowest reply, where recreate mode's p99.9 waits out a
        // timeout and a second reply.
        #expect(report.p999Milliseconds > 100 && report.p999Milliseconds <= 121, "\(report.json)")
        #expect((report.succeededByAttempt["2"] ?? 0) > 0, "some first replies come after the resend: \(report.json)")
    }

    @Test("on a healthy cluster pipelined and recreate modes give the same successes and latencies")
    func healthyClusterModesAgree() throws {
        let map = try SimulationFixture.map(shards: 4)
        let workload = SimulationScenario.Workload.open(clients: 200, ratePerClient: 10, duration: .seconds(20))
        var pipelined = try SimulationFixture.run(map: map, workload: workload, faults: [], policy: SimulationFixture.policy(mode: .pipelined), seed: 9)
        var recreate = try SimulationFixture.run(map: map, workload: workload, faults: [], policy: SimulationFixture.policy(), seed: 9)
        #expect(pipelined.succeeded == pipelined.requests && pipelined.connectionsRebuilt == 0, "\(pipelined.json)")
        pipelined.wallSeconds = 0
        recreate.wallSeconds = 0
        pipelined.mode = recreate.mode
        #expect(pipelined.json == recreate.json)
    }
}
