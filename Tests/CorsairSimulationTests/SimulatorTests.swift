import Corsair
import CorsairSimulation
import Foundation
import ShardMap
import Testing

/// The simulator against results that follow from the policy's rules.
@Suite("Simulator: known results")
struct SimulatorTests {
    @Test("without a budget, a full outage multiplies attempts by exactly `attempts`; other shards see none")
    func outageWithoutBudget() throws {
        let map = try SimulationFixture.map(shards: 3)
        for attempts in [2, 4] {
            let report = try SimulationFixture.run(
                map: map,
                workload: .open(clients: 20, ratePerClient: 20, duration: .seconds(10)),
                faults: ["s1:down@0s"],
                policy: SimulationFixture.policy(attempts: attempts)
            )
            #expect(report.faultedAmplification == Double(attempts), "\(report.json)")
            // The default profile's slowest reply (25 ms) is well inside the 100 ms attempt timeout.
            #expect(report.healthyAmplification == 1, "\(report.json)")
            let faulted = try #require(report.errors["abandoned"])
            #expect(report.requests - report.succeeded == faulted)
            #expect(faulted > report.requests / 4 && faulted < report.requests / 2, "about a third of requests go to s1")
        }
    }

    @Test("with budget.ratio 0.2, a full outage stays near 1.2 plus min_per_second per second of requests")
    func outageWithBudget() throws {
        let map = try SimulationFixture.map(shards: 1)
        for rate in [100.0, 400.0] {
            let report = try SimulationFixture.run(
                map: map,
                workload: .open(clients: 1, ratePerClient: rate, duration: .seconds(60)),
                faults: ["s0:down@0s"],
                policy: SimulationFixture.policy(budget: RetryBudget.Configuration(ratio: 0.2, minPerSecond: 10))
            )
            let expected = 1.2 + 10 / rate
            let amplification = try #require(report.faultedAmplification)
            // The reserve's first burst (100 retries) and the window's whole-second buckets add a
            // little over a minute; 0.03 is the tolerance.
            #expect(abs(amplification - expected) < 0.03, "rate \(rate): \(amplification), expected \(expected)")
            #expect((report.errors["retry_budget_exhausted"] ?? 0) > 0)
        }
    }

    @Test("a breaker opens after `failures` consecutive failures and then fails requests without an attempt")
    func breakerOpensAtThreshold() throws {
        let map = try SimulationFixture.map(shards: 1)
        // One request at a time: five fail after two attempts each, then the breaker refuses the rest at once.
        let report = try SimulationFixture.run(
            map: map,
            workload: .closed(concurrency: 1, requests: 20, keys: 10),
            faults: ["s0:down@0s"],
            policy: SimulationFixture.policy(attempts: 2, breaker: CircuitBreaker.Configuration(failures: 5, openFor: .seconds(5)))
        )
        #expect(report.errors == ["abandoned": 5, "circuit_open": 15], "\(report.json)")
        #expect(report.attempts == 10)
        // Five requests of two 100 ms attempts and a backoff of at most 10 ms each.
        #expect(report.virtualSeconds >= 1.0 && report.virtualSeconds <= 1.05, "\(report.virtualSeconds)")
    }

    @Test("an open breaker fails fast for open_for, then lets one probe through", arguments: [1, 2, 5])
    func breakerFailsFastForOpenFor(openFor: Int) throws {
        let map = try SimulationFixture.map(shards: 1)
        let report = try SimulationFixture.run(
            map: map,
            workload: .open(clients: 1, ratePerClient: 5, duration: .seconds(40)),
            faults: ["s0:down@0s+30s"],
            policy: SimulationFixture.policy(attempts: 1, breaker: CircuitBreaker.Configuration(failures: 5, openFor: .seconds(openFor)))
        )
        // Five failures open it; then one 100 ms probe per open_for. Requests arrive 5 a second, so
        // the probe waits 0.2 s on average for the next one.
        let cycle = Double(openFor) + 0.1 + 0.2
        let probes = 30 / cycle
        let faultedAttempts = (report.faultedAmplification ?? 0) * Double(report.requests - Int(10 * 5))
        #expect(report.failFastMilliseconds == 0, "most requests to the down shard fail at once: \(report.json)")
        #expect(abs(faultedAttempts - 5 - probes) < 3 + probes * 0.2, "open_for \(openFor)s: \(faultedAttempts) attempts, expected about \(5 + probes)")
        // After the fault the breaker stays open until its next probe: at most open_for.
        let recovery = try #require(report.recoverySeconds)
        #expect(recovery <= Double(openFor) + 0.3, "\(report.json)")
    }

    @Test("the same seed gives the same report; another seed another", arguments: [RetryPolicy.Mode.recreate, .resend, .pipelined])
    func deterministic(mode: RetryPolicy.Mode) throws {
        let map = try SimulationFixture.map(shards: 5)
        let policy = SimulationFixture.policy(
            budget: RetryBudget.Configuration(),
            breaker: CircuitBreaker.Configuration(failures: 3, openFor: .seconds(1)),
            backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(200), jitter: .decorrelated),
            mode: mode
        )
        func run(seed: UInt64) throws -> SimulationReport {
            var report = try SimulationFixture.run(
                map: map,
                workload: .open(clients: 50, ratePerClient: 5, duration: .seconds(20)),
                faults: ["s1:down@2s+5s", "s2:slow=150ms@4s+4s", "s3:overload=0.5@1s+3s"],
                policy: policy,
                seed: seed
            )
            report.wallSeconds = 0
            return report
        }
        let first = try run(seed: 42)
        // Pipelined mode rebuilds the down and the slow shard's connections; the others have none.
        #expect((first.connectionsRebuilt > 0) == (mode == .pipelined), "\(first.json)")
        #expect(try run(seed: 42).json == first.json)
        #expect(try run(seed: 43).json != first.json)
    }

    @Test("replies slower than the attempt timeout retry: amplification is 1 plus that share")
    func spuriousRetries() throws {
        let report = try SimulationFixture.slowTailRun(mode: .recreate)
        // A retry is slow again with the same 0.55 %, so its own retries add 0.003 %.
        let expected = 1 + 0.0055 * (1 + 0.0055)
        #expect(abs(report.amplification - expected) < 0.0008, "\(report.amplification), expected \(expected)")
        #expect(report.successRate == 1, "a third slow attempt in a row is rarer than one in 30 million")
        // More than 0.1 % of requests retried, so the p99.9 is a request that waited out a timeout.
        #expect(report.p999Milliseconds > 100, "\(report.json)")
        #expect(report.p99Milliseconds < 100, "\(report.json)")
    }

    @Test("another policy sees the same workload: the same requests from the same seed")
    func comparedRunsShareTheWorkload() throws {
        let map = try SimulationFixture.map(shards: 3)
        let workload = SimulationScenario.Workload.open(clients: 30, ratePerClient: 10, duration: .seconds(20))
        let faults = ["s1:down@5s+5s"]
        let patient = try SimulationFixture.run(map: map, workload: workload, faults: faults, policy: SimulationFixture.policy(attempts: 5))
        let hasty = try SimulationFixture.run(
            map: map,
            workload: workload,
            faults: faults,
            policy: SimulationFixture.policy(attempts: 1, breaker: CircuitBreaker.Configuration(failures: 1, openFor: .seconds(1)))
        )
        #expect(patient.requests == hasty.requests)
        #expect(patient.attempts != hasty.attempts)
    }

    @Test("resend mode takes a late reply that comes before the retry; recreate mode cannot")
    func resendTakesLateReply() throws {
        let map = try SimulationFixture.map(shards: 1)
        func successRate(_ mode: RetryPolicy.Mode) throws -> Double {
            // Replies take 150 ms and more, attempts wait 100 ms, retries go 200 ms after a timeout.
            try SimulationFixture.run(
                map: map,
                workload: .open(clients: 1, ratePerClient: 20, duration: .seconds(5)),
                faults: ["s0:slow=150ms@0s"],
                policy: SimulationFixture.policy(attempts: 2, backoff: Backoff(initial: .milliseconds(200), maximum: .milliseconds(200), jitter: .none), mode: mode)
            ).successRate
        }
        #expect(try successRate(.resend) == 1)
        let resend = try SimulationFixture.run(
            map: map,
            workload: .open(clients: 1, ratePerClient: 20, duration: .seconds(5)),
            faults: ["s0:slow=150ms@0s"],
            policy: SimulationFixture.policy(attempts: 2, backoff: Backoff(initial: .milliseconds(200), maximum: .milliseconds(200), jitter: .none), mode: .resend)
        )
        #expect(resend.succeededByAttempt == ["1": resend.requests], "the first attempt's late reply answers the request")
        #expect(try successRate(.recreate) == 0)
    }

    @Test("an overloaded shard's retry-after hint stretches the backoff, and its replies keep the breaker closed")
    func overload() throws {
        let map = try SimulationFixture.map(shards: 1)
        let report = try SimulationFixture.run(
            map: map,
            workload: .open(clients: 1, ratePerClient: 50, duration: .seconds(10)),
            faults: ["s0:overload@0s"],
            policy: SimulationFixture.policy(attempts: 3, breaker: CircuitBreaker.Configuration(failures: 2, openFor: .seconds(5)))
        )
        #expect(report.errors == ["overloaded": report.requests], "\(report.json)")
        #expect(report.amplification == 3)
        #expect(report.failFastMilliseconds == nil, "no shard was down")
        // The last request arrives just before 10 s and takes two pushbacks of 100 ms to fail.
        #expect(report.virtualSeconds > 10.1, "\(report.virtualSeconds)")
    }

    @Test("a deadline shorter than the attempts ends requests to a down shard as the engine does: deadline exceeded at the deadline")
    func deadlineEndsRequests() throws {
        let map = try SimulationFixture.map(shards: 1)
        var policy = SimulationFixture.policy(attempts: 5)
        // Two 100 ms attempts and their backoffs fit in 250 ms, a third is cut short by the deadline.
        policy.deadline = .milliseconds(250)
        let report = try SimulationFixture.run(
            map: map,
            workload: .open(clients: 1, ratePerClient: 20, duration: .seconds(5)),
            faults: ["s0:down@0s"],
            policy: policy
        )
        #expect(report.errors == ["deadline_exceeded": report.requests], "\(report.json)")
        #expect(report.amplification == 3, "\(report.json)")
        let failAfter = try #require(report.failFastMilliseconds)
        #expect(failAfter >= 249 && failAfter <= 251, "\(report.json)")
    }
}
