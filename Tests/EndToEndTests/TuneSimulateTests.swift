import Foundation
import Testing

/// `corsair tune` and `corsair simulate` as processes, against clusters of `corsair serve`.
@Suite("corsair tune and corsair simulate (end to end)")
struct TuneSimulateTests {
    /// The retry section of the clusters here: the defaults, written out.
    private static let defaultRetry = "  attempt_timeout: 2500ms\n  attempts: 3"

    @Test("tune with one shard slowed recommends a timeout above its tail, and its YAML passes shards check", .timeLimit(.minutes(2)))
    func tuneSlowShard() async throws {
        let cluster = try ShardCluster(retry: Self.defaultRetry)
        defer { Task { await cluster.stopAll() } }
        try await cluster.startAll()
        let slow = try #require(cluster.server("s1"))
        // Pause s1 for 60 ms in every 160 ms while tune measures: its requests wait out the pauses.
        let pauses = Task {
            while !Task.isCancelled {
                slow.signal(SIGSTOP)
                try? await Task.sleep(for: .milliseconds(60))
                slow.signal(SIGCONT)
                try? await Task.sleep(for: .milliseconds(100))
            }
            slow.signal(SIGCONT)
        }
        let tune = try await ChildProcess.run(
            "corsair",
            ["tune", "--config", cluster.configPath, "--duration", "3s", "--concurrency", "4", "--json"],
            timeout: .seconds(60)
        )
        pauses.cancel()
        _ = await pauses.value
        #expect(tune.status == 0, "\(tune.stderr)")
        let report = try #require(JSONObject(lastLineOf: tune.stdout), "not JSON: \(tune.stdout)")
        let shards = try #require(report.fields["shards"] as? [[String: Any]])
        #expect(shards.count == 3)
        let s1 = try #require(shards.first { $0["id"] as? String == "s1" }.map { JSONObject(fields: $0) })
        let s1Tail = try #require(s1.double("p999_ms"))
        let recommendation = try #require(report.object("recommendation"))
        let timeout = try #require(recommendation.double("attempt_timeout_ms"))
        // The pauses are 60 ms; requests caught at their start wait that long.
        #expect(s1Tail >= 40, "s1's tail should show the pauses: \(tune.stdout)")
        #expect(timeout > s1Tail, "timeout \(timeout) ms is not above s1's p99.9 \(s1Tail) ms")
        for shard in shards {
            #expect((shard["count"] as? Int ?? 0) > 0 && shard["p50_ms"] != nil && shard["max_ms"] != nil, "\(shard)")
        }
        for key in ["deadline_ms", "attempts", "spurious_retry_rate", "yaml"] {
            #expect(recommendation.fields[key] != nil, "\(key) missing")
        }
        #expect((report.fields["judgments"] as? [String])?.first?.contains("attempt_timeout 2500ms") == true, "\(tune.stdout)")

        // The YAML, spliced over the file's retry: section, is a valid map with that timeout.
        let yaml = try #require(recommendation.fields["yaml"] as? String)
        let original = try String(contentsOfFile: cluster.configPath, encoding: .utf8)
        let head = try #require(original.range(of: "retry:\n")).lowerBound
        let spliced = try cluster.scratch.write("spliced.yaml", String(original[..<head]) + yaml)
        let check = try await ChildProcess.run("corsair", ["shards", "check", spliced])
        #expect(check.status == 0, "\(check.stderr)\n\(yaml)")
        #expect(yaml.contains("attempt_timeout: \(Int(timeout))ms"), "\(yaml)")
    }

    /// A retry section for tune, and the lines its recommendation must keep from it.
    struct TuneInput: Sendable, CustomTestStringConvertible {
        var retry: String
        var kept: [String]
        var testDescription: String { self.kept.isEmpty ? "recreate" : self.kept.joined(separator: ", ") }
    }

    static let tuneInputs = [
        TuneInput(retry: defaultRetry, kept: []),
        TuneInput(
            retry: defaultRetry + "\n  mode: pipelined\n  heartbeat_interval: 200ms\n  heartbeat_timeout: 900ms",
            kept: ["mode: pipelined", "heartbeat_interval: 200ms", "heartbeat_timeout: 900ms"]
        ),
        TuneInput(retry: defaultRetry + "\n  mode: pipelined\n  heartbeat_interval: off", kept: ["mode: pipelined", "heartbeat_interval: off"]),
    ]

    @Test("tune's plain output is YAML that replaces the retry: section, keeping the mode and heartbeats", .timeLimit(.minutes(2)), arguments: tuneInputs)
    func tunePlainOutput(input: TuneInput) async throws {
        let cluster = try ShardCluster(retry: input.retry)
        defer { Task { await cluster.stopAll() } }
        try await cluster.startAll()
        let tune = try await ChildProcess.run("corsair", ["tune", "--config", cluster.configPath, "--duration", "1s"], timeout: .seconds(60))
        #expect(tune.status == 0, "\(tune.stderr)")
        let lines = tune.stdout.split(separator: "\n")
        let retry = try #require(lines.firstIndex(of: "retry:"), "\(tune.stdout)")
        #expect(lines[..<retry].allSatisfy { $0.hasPrefix("#") }, "everything above retry: is a comment")
        let fields = lines[retry...].dropFirst()
        #expect(fields.allSatisfy { $0.hasPrefix("  ") }, "\(tune.stdout)")
        #expect(fields.filter { !$0.hasSuffix(":") }.allSatisfy { $0.contains(" # ") }, "each field has its reason: \(tune.stdout)")
        let original = try String(contentsOfFile: cluster.configPath, encoding: .utf8)
        let head = try #require(original.range(of: "retry:\n")).lowerBound
        let spliced = try cluster.scratch.write("plain.yaml", String(original[..<head]) + tune.stdout)
        let check = try await ChildProcess.run("corsair", ["shards", "check", spliced])
        #expect(check.status == 0, "\(check.stderr)")
        for line in input.kept {
            #expect(fields.contains { $0.hasPrefix("  \(line) ") }, "\(line) not kept: \(tune.stdout)")
        }
        if input.kept.isEmpty {
            #expect(!tune.stdout.contains("heartbeat"), "heartbeats are pipelined mode's only: \(tune.stdout)")
        }
    }

    @Test("tune against a cluster that does not answer: exit 1, one error line, nothing on stdout", .timeLimit(.minutes(1)))
    func tuneUnreachable() async throws {
        let cluster = try ShardCluster(retry: Self.defaultRetry)
        let tune = try await ChildProcess.run("corsair", ["tune", "--config", cluster.configPath, "--duration", "1s"], timeout: .seconds(30))
        #expect(tune.status == 1, "\(tune.stderr)")
        #expect(tune.stdout.isEmpty, "\(tune.stdout)")
        #expect(Self.isOneErrorLine(tune.stderr, naming: "--config"), "\(tune.stderr)")
    }

    @Test(
        "bad input: one error line naming the argument, exit 2, nothing on stdout",
        .timeLimit(.minutes(1)),
        arguments: [
            (["tune", "--duration", "10"], "--duration 10"),
            (["tune", "--duration", "-5s"], "--duration -5s"),
            (["tune", "--concurrency", "0"], "--concurrency 0"),
            (["tune", "--op", "put"], "--op put"),
            (["simulate", "--fault", "s9:down@10s+20s"], "--fault 's9:down@10s+20s'"),
            (["simulate", "--fault", "s1:down@10+20s"], "--fault 's1:down@10+20s'"),
            (["simulate", "--duration", "-1s"], "--duration -1s"),
            (["simulate", "--duration", "60"], "--duration 60"),
            (["simulate", "--clients", "0"], "--clients 0"),
            (["simulate", "--latency", "LATENCY"], "--latency"),
            (["simulate", "--compare", "MISSING"], "--compare"),
            (["simulate", "--mode", "lazy"], "--mode lazy"),
        ]
    )
    func badInput(arguments: [String], named: String) async throws {
        let cluster = try ShardCluster(retry: Self.defaultRetry)
        let latency = try cluster.scratch.write("latency.json", "{\"shards\": {\"s0\": 1}}")
        let missing = cluster.scratch.file("missing.yaml")
        let resolved = arguments.map { $0 == "LATENCY" ? latency : $0 == "MISSING" ? missing : $0 }
        let result = try await ChildProcess.run("corsair", [resolved[0], "--config", cluster.configPath] + resolved.dropFirst())
        #expect(result.status == 2, "\(resolved): \(result.stderr)")
        #expect(result.stdout.isEmpty, "\(result.stdout)")
        #expect(Self.isOneErrorLine(result.stderr, naming: named), "\(result.stderr)")
    }

    @Test("simulate --json has the figures the issue names, and the same seed prints the same", .timeLimit(.minutes(1)))
    func simulateJSON() async throws {
        let cluster = try ShardCluster(retry: Self.defaultRetry)
        let arguments = [
            "simulate", "--config", cluster.configPath, "--clients", "50", "--rate", "5", "--duration", "30s",
            "--fault", "s1:down@5s+10s", "--seed", "7", "--json",
        ]
        let first = try await ChildProcess.run("corsair", arguments)
        let second = try await ChildProcess.run("corsair", arguments)
        #expect(first.status == 0 && second.status == 0, "\(first.stderr)")
        let a = try #require(JSONObject(lastLineOf: first.stdout))
        #expect(JSONObject(lastLineOf: second.stdout) != nil)
        for key in ["success_rate", "amplification", "p50_ms", "p99_ms", "fail_fast_ms", "recovery_s", "virtual_s", "wall_s"] {
            #expect(a.fields[key] is NSNumber, "\(key) missing: \(first.stdout)")
        }
        // Keys are sorted, so the lines are equal but for the wall-clock time.
        func withoutWallTime(_ text: String) -> String {
            text.replacingOccurrences(of: #""wall_s":[0-9.e+-]+"#, with: "", options: .regularExpression)
        }
        #expect(withoutWallTime(first.stdout) == withoutWallTime(second.stdout))
        #expect(withoutWallTime(first.stdout).count < first.stdout.count, "wall_s was there to take out")
    }

    @Test("simulate --mode pipelined with --compare of the same file shows both modes, and only pipelined rebuilds connections", .timeLimit(.minutes(1)))
    func simulateModeOverride() async throws {
        let cluster = try ShardCluster(retry: Self.defaultRetry)
        let arguments = [
            "simulate", "--config", cluster.configPath, "--mode", "pipelined", "--compare", cluster.configPath,
            "--clients", "20", "--rate", "5", "--duration", "20s", "--fault", "s1:down@5s+5s",
        ]
        let json = try await ChildProcess.run("corsair", arguments + ["--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let pipelined = try #require(JSONObject(lastLineOf: json.stdout), "\(json.stdout)")
        let recreate = try #require(pipelined.object("compare"), "\(json.stdout)")
        #expect(pipelined.fields["mode"] as? String == "pipelined" && recreate.fields["mode"] as? String == "recreate", "\(json.stdout)")
        #expect(try #require(pipelined.int("connections_rebuilt")) > 0, "\(json.stdout)")
        #expect(recreate.int("connections_rebuilt") == 0 && recreate.int("rebuild_failed_attempts") == 0, "\(json.stdout)")
        #expect(pipelined.int("requests") == recreate.int("requests"), "the same workload: \(json.stdout)")

        let table = try await ChildProcess.run("corsair", arguments)
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        // The new rows come after every row scripts already read.
        #expect(lines.suffix(3).first?.hasPrefix("virtual / wall time") == true, "\(table.stdout)")
        #expect(lines.contains { $0.hasPrefix("retry mode") && $0.contains("pipelined") && $0.hasSuffix("recreate") }, "\(table.stdout)")
        #expect(lines.last?.hasPrefix("connections rebuilt") == true && lines.last?.hasSuffix("-") == true, "\(table.stdout)")
    }

    /// A retry section and what it makes the deciding rule, for the agreement test.
    struct AgreementCase: Sendable, CustomTestStringConvertible {
        var name: String
        var retry: String
        var testDescription: String { self.name }
    }

    /// Each section as written (`recreate` mode), and again in pipelined mode: one connection per
    /// shard, s1's rebuilt each time a request's deadline finds it silent, every attempt in flight
    /// on it failing together; which of them the budget retries follows from the order of request ids.
    static let agreementCases = recreateAgreementCases + recreateAgreementCases.map {
        AgreementCase(name: "pipelined \($0.name)", retry: $0.retry + "\n  mode: pipelined")
    }

    private static let recreateAgreementCases = [
        // Each request to s1 deposits half a retry and there is no reserve, so about half of them
        // get one retry, in an order set by how timeouts and admissions interleave. The whole run
        // fits in the budget's 10 s window, so nothing expires; the breaker never opens.
        AgreementCase(
            name: "budget",
            retry: """
                  attempt_timeout: 200ms
                  attempts: 3
                  deadline: 5s
                  backoff: {initial: 10ms, max: 20ms, jitter: full}
                  budget: {ratio: 0.5, min_per_second: 0}
                  circuit_breaker: {failures: 1000, open_for: 1s}
                """
        ),
        // Every worker ends up waiting on s1; three failures open the breaker for longer than
        // the run, and from then on s1's requests fail at once. Those admitted between the first
        // and the third failure time out once and then fail as "circuit open".
        AgreementCase(
            name: "breaker",
            retry: """
                  attempt_timeout: 300ms
                  attempts: 3
                  deadline: 5s
                  backoff: {initial: 20ms, max: 80ms, jitter: full}
                  budget: {ratio: 1, min_per_second: 1000}
                  circuit_breaker: {failures: 3, open_for: 30s}
                """
        ),
    ]

    /// The agreement test: one client like `corsair load` against a cluster with s1 paused (SIGSTOP
    /// for the whole run), simulated and run for real, must agree on what happened.
    ///
    /// Tolerance, stated: successes within 1 (a request that fails for real on a loaded machine);
    /// retries and each error count within 3 + 15 % of the simulated figure.
    @Test("a paused shard: simulate and a real corsair load agree", .timeLimit(.minutes(2)), arguments: agreementCases)
    func agreement(_ scenario: AgreementCase) async throws {
        let cluster = try ShardCluster(retry: scenario.retry)
        defer { Task { await cluster.stopAll() } }
        try await cluster.startAll()
        let (requests, concurrency, keys) = (90, 6, 30)

        let simulated = try await ChildProcess.run(
            "corsair",
            [
                "simulate", "--config", cluster.configPath, "--requests", "\(requests)", "--concurrency", "\(concurrency)",
                "--keys", "\(keys)", "--fault", "s1:down@0s", "--json",
            ]
        )
        #expect(simulated.status == 0, "\(simulated.stderr)")
        let simulation = try #require(JSONObject(lastLineOf: simulated.stdout), "\(simulated.stdout)")

        let paused = try #require(cluster.server("s1"))
        paused.signal(SIGSTOP)
        let load = try cluster.load(requests: requests, concurrency: concurrency, keys: keys)
        let status = await load.waitForExit(timeout: .seconds(60))
        paused.signal(SIGCONT)
        if status == nil { load.signal(SIGKILL) }
        #expect(status == 0, "\(load.stderr)")
        let real = try #require(JSONObject(lastLineOf: load.stdout), "\(load.stdout)")
        let context = "real: \(load.stdout)\nsimulated: \(simulated.stdout)"

        let simulatedSucceeded = try #require(simulation.int("succeeded"))
        // Sanity: about a third of the keys live on s1, and none of its requests succeed.
        #expect(simulatedSucceeded > requests / 2 && simulatedSucceeded < requests * 5 / 6, "\(context)")
        #expect(abs(try #require(real.int("succeeded")) - simulatedSucceeded) <= 1, "succeeded: \(context)")
        func agree(_ real: Int, _ simulated: Int, _ what: String) {
            let tolerance = 3 + Int((Double(simulated) * 0.15).rounded(.up))
            #expect(abs(real - simulated) <= tolerance, "\(what): real \(real), simulated \(simulated), tolerance \(tolerance)\n\(context)")
        }
        agree(try #require(real.int("retries")), try #require(simulation.int("retries")), "retries")
        let realErrors = try #require(real.object("errors")).normalizedCounts()
        let simulatedErrors = try #require(simulation.object("errors")).normalizedCounts()
        for kind in Set(realErrors.keys).union(simulatedErrors.keys) {
            agree(realErrors[kind] ?? 0, simulatedErrors[kind] ?? 0, kind)
        }
        if scenario.name.hasPrefix("pipelined") {
            #expect(try #require(simulation.int("connections_rebuilt")) > 0, "s1's connection is rebuilt: \(simulated.stdout)")
        }
        switch scenario.name {
        case "budget", "pipelined budget":
            #expect(try #require(simulation.int("retries")) > 5, "the budget should allow some retries: \(simulated.stdout)")
        default:
            #expect((simulatedErrors["circuitopen"] ?? 0) > 10, "the breaker should open: \(simulated.stdout)")
        }
    }

    private static func isOneErrorLine(_ text: String, naming argument: String) -> Bool {
        let lines = text.split(separator: "\n")
        return lines.count == 1 && lines[0].hasPrefix("error: ") && lines[0].contains(argument)
    }
}
