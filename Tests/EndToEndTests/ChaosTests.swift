import Foundation
import Testing

extension ResourceHeavy {
    /// Chaos across processes: a three-shard cluster of `corsair serve --config F --shard ID` under
    /// `corsair load --op incr --json`, with one shard paused, killed, or gone for good.
    ///
    /// Every scenario checks the load's own accounting (sent, succeeded, failed, lost) and, where the
    /// servers keep their state, the servers' counters read back with `corsair request`: the sum of the
    /// values equals the successful increments, so nothing was lost and nothing ran twice.
    @Suite("Chaos across processes (end to end)", .serialized)
    struct ChaosTests {
        static let keys = 30

        /// Generous retries, a short attempt timeout, and neither budget nor breaker in the way: a pause
        /// must be ridden out, not failed fast.
        static let rideItOut = """
              attempt_timeout: 250ms
              attempts: 40
              deadline: 20s
              backoff: {initial: 10ms, max: 100ms, multiplier: 2, jitter: full}
              budget: {ratio: 100, min_per_second: 100000}
              circuit_breaker: {failures: 100000, open_for: 1s}
            """

        /// Runs `requests` increments with shard s1 SIGSTOPped for `pause` mid-run, checks what every
        /// paused-shard scenario asserts (every request succeeded, none lost, and the servers' values
        /// add up to the successes: nothing lost, nothing run twice), and returns the load's report.
        static func loadWithPausedShard(
            retry: String,
            requests: Int,
            pause: Duration,
            label: String,
            loadArguments: [String] = []
        ) async throws -> JSONObject {
            let cluster = try ShardCluster(retry: retry)
            try await cluster.startAll()
            let load = try cluster.load(requests: requests, concurrency: 32, keys: Self.keys, extraArguments: loadArguments)
            defer { if load.isRunning { load.signal(SIGKILL) } }
            try await cluster.waitUntilLoadRuns()
            // SIGSTOP stops the server's libzmq I/O thread too: no reply and no heartbeat answer.
            let paused = try #require(cluster.server("s1"))
            paused.signal(SIGSTOP)
            try await Task.sleep(for: pause)
            paused.signal(SIGCONT)

            let status = await load.waitForExit(timeout: .seconds(60))
            #expect(status == 0, "\(load.stderr)")
            let report = try #require(JSONObject(lastLineOf: load.stdout), "\(load.stdout)\n\(load.stderr)")
            #expect(report.int("sent") == requests)
            #expect(report.int("succeeded") == requests, "\(report.fields)")
            #expect(report.int("failed") == 0, "\(report.fields)")
            #expect(report.int("lost") == 0, "\(report.fields)")

            var total = 0
            for index in 0..<Self.keys {
                let value = try #require(try await cluster.value(of: "key-\(index)"), "key-\(index) unreadable")
                total += value
            }
            #expect(total == report.int("succeeded"), "servers counted \(total) increments for \(report.fields)")
            print("chaos/\(label): \(report.fields); server total \(total); duplicated \(total - (report.int("succeeded") ?? 0))")
            await cluster.stopAll()
            return report
        }

        @Test("a shard paused past the attempt timeout: every request succeeds, counters add up exactly", arguments: ["recreate", "pipelined"])
        func pausedShard(mode: String) async throws {
            // Well past the attempt timeout: several attempts per request time out and are resent on
            // fresh sockets, while the first attempts wait in the paused server's socket buffers.
            let report = try await Self.loadWithPausedShard(
                retry: Self.rideItOut + "\n  mode: \(mode)",
                requests: 6000,
                pause: .milliseconds(1500),
                label: "pause (\(mode))"
            )
            #expect((report.int("retries") ?? 0) > 0, "the pause should have forced retries: \(report.fields)")
        }

        @Test("a shard killed and restarted: every request ends in a reply or a typed error within its deadline", arguments: ["recreate", "pipelined"])
        func killedAndRestartedShard(mode: String) async throws {
            let deadlineMilliseconds = 3000
            let cluster = try ShardCluster(retry: """
                  attempt_timeout: 250ms
                  attempts: 8
                  deadline: \(deadlineMilliseconds)ms
                  backoff: {initial: 10ms, max: 200ms, multiplier: 2, jitter: full}
                  budget: {ratio: 100, min_per_second: 100000}
                  circuit_breaker: {failures: 100000, open_for: 1s}
                  mode: \(mode)
                """)
            try await cluster.startAll()
            let requests = 6000
            let start = ContinuousClock.now
            let load = try cluster.load(requests: requests, concurrency: 32, keys: Self.keys)
            defer { if load.isRunning { load.signal(SIGKILL) } }
            try await cluster.waitUntilLoadRuns()
            let victim = try #require(cluster.server("s1"))
            victim.signal(SIGKILL)
            _ = await victim.waitForExit(timeout: .seconds(5))
            try await Task.sleep(for: .milliseconds(1000))
            try await cluster.start("s1")

            let status = await load.waitForExit(timeout: .seconds(60))
            let wall = start.duration(to: .now)
            #expect(status != nil, "corsair load hung")
            let report = try #require(JSONObject(lastLineOf: load.stdout), "\(load.stdout)\n\(load.stderr)")
            let sent = report.int("sent") ?? -1
            #expect(sent == requests)
            #expect(report.int("lost") == 0, "\(report.fields)")
            #expect((report.int("succeeded") ?? 0) + (report.int("failed") ?? 0) == sent, "\(report.fields)")
            // No request outlives its deadline by more than a small tolerance…
            let tolerance = 1000.0
            let slowest = report.double("max_ms") ?? report.double("p999_ms") ?? 0
            #expect(slowest <= Double(deadlineMilliseconds) + tolerance, "slowest \(slowest) ms: \(report.fields)")
            // …and the run as a whole is bounded.
            #expect(wall < .seconds(45), "the run took \(wall)")
            // The restarted shard serves again.
            let owners = try await cluster.owners(of: (0..<Self.keys).map { "key-\($0)" })
            let s1Key = try #require(owners.first { $0.value == "s1" }?.key)
            #expect(try await cluster.value(of: s1Key) != nil)
            print("chaos/kill (\(mode)): \(report.fields); wall \(wall)")
            await cluster.stopAll()
        }

        @Test("a shard that never comes back fails fast through the breaker; the other shards are unaffected", arguments: ["recreate", "pipelined"])
        func shardThatNeverComesBack(mode: String) async throws {
            let cluster = try ShardCluster(retry: """
                  attempt_timeout: 200ms
                  attempts: 2
                  deadline: 2s
                  backoff: {initial: 10ms, max: 50ms, multiplier: 2, jitter: full}
                  budget: {ratio: 100, min_per_second: 100000}
                  circuit_breaker: {failures: 3, open_for: 60s}
                  mode: \(mode)
                """)
            try await cluster.startAll()
            let dead = try #require(cluster.server("s2"))
            dead.signal(SIGKILL)
            _ = await dead.waitForExit(timeout: .seconds(5))

            let keyNames = (0..<Self.keys).map { "key-\($0)" }
            let owners = try await cluster.owners(of: keyNames)
            let requests = 3000
            let perKey = requests / Self.keys
            let deadKeys = keyNames.filter { owners[$0] == "s2" }
            try #require(!deadKeys.isEmpty && deadKeys.count < Self.keys, "\(owners)")
            let expectedSuccesses = (Self.keys - deadKeys.count) * perKey

            let start = ContinuousClock.now
            let load = try cluster.load(requests: requests, concurrency: 16, keys: Self.keys)
            defer { if load.isRunning { load.signal(SIGKILL) } }
            let status = await load.waitForExit(timeout: .seconds(60))
            let wall = start.duration(to: .now)
            #expect(status != nil, "corsair load hung")
            let report = try #require(JSONObject(lastLineOf: load.stdout), "\(load.stdout)\n\(load.stderr)")
            #expect(report.int("sent") == requests)
            #expect(report.int("lost") == 0, "\(report.fields)")
            #expect(report.int("succeeded") == expectedSuccesses, "\(report.fields)")
            #expect(report.int("failed") == deadKeys.count * perKey, "\(report.fields)")
            let errors = report.object("errors")?.normalizedCounts() ?? [:]
            let circuitOpen = errors["circuitopen"] ?? 0
            // All but the few requests that tripped the breaker (and those already in flight then) fail
            // without being sent.
            #expect(circuitOpen >= deadKeys.count * perKey - 64, "\(report.fields)")
            // Without the breaker each of them would wait out 2 × 200 ms: about 25 s at this concurrency.
            #expect(wall < .seconds(10), "the run took \(wall)")

            // The live shards saw every one of their increments, once.
            var total = 0
            for key in keyNames where owners[key] != "s2" {
                total += try #require(try await cluster.value(of: key))
            }
            #expect(total == expectedSuccesses)
            print("chaos/gone (\(mode)): \(report.fields); wall \(wall); live total \(total)")
            await cluster.stopAll()
        }

        /// A pipelined cluster whose attempt timeout (10 s) is far longer than a pause of one shard
        /// (3 s): only the heartbeats can tell the client that the paused shard's connection is dead.
        static func heartbeatRetry(_ interval: String) -> String {
            """
              attempt_timeout: 10s
              attempts: 5
              deadline: 40s
              backoff: {initial: 10ms, max: 100ms, multiplier: 2, jitter: full}
              budget: {ratio: 100, min_per_second: 100000}
              circuit_breaker: {failures: 100000, open_for: 1s}
              mode: pipelined
              heartbeat_interval: \(interval)
            """
        }

        /// The file's heartbeat interval, and `corsair load --heartbeat-interval` over it (or none).
        struct HeartbeatCase: Sendable, CustomTestStringConvertible {
            var file: String
            var override: String?
            var on: Bool { (self.override ?? self.file) != "off" }
            var testDescription: String { "file \(self.file)" + (self.override.map { ", --heartbeat-interval \($0)" } ?? "") }
        }

        @Test(
            "pipelined, a shard whose ZMTP stops answering: heartbeats rebuild its connection long before the attempt timeout, counters add up",
            arguments: [HeartbeatCase(file: "200ms"), HeartbeatCase(file: "off"), HeartbeatCase(file: "off", override: "200ms")]
        )
        func heartbeatsFindPausedShard(heartbeat: HeartbeatCase) async throws {
            let report = try await Self.loadWithPausedShard(
                retry: Self.heartbeatRetry(heartbeat.file),
                requests: 3000,
                pause: .seconds(3),
                label: "heartbeat \(heartbeat.testDescription) (pipelined)",
                loadArguments: heartbeat.override.map { ["--heartbeat-interval", $0] } ?? []
            )
            let retries = report.int("retries") ?? -1
            if !heartbeat.on {
                // No attempt can time out in a 3 s pause with a 10 s attempt timeout, and nothing
                // else may rebuild the connection: the requests wait out the pause where they are.
                #expect(retries == 0, "\(report.fields)")
            } else {
                // Only a rebuild, which the heartbeats started, can have resent anything.
                #expect(retries > 0, "the heartbeats should have rebuilt the paused shard's connection: \(report.fields)")
            }
        }
    }
}
