import ArgumentParser
import Corsair
import CorsairSimulation
import Foundation
import ShardMap

/// `corsair simulate`: many clients' retry policies against the map's shards, in virtual time.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate many clients with the map's retry: section against its shards, with faults, in virtual time.",
        discussion: """
            A discrete-event simulation that drives the client engine's own decision code (its state \
            machine, with Corsair's RetryPolicy, Backoff, RetryBudget and CircuitBreaker) for every \
            client and shard. Each client has its own budget and breaker per shard, as each \
            process's engine does. Only the network is modelled: reply times come from --latency \
            (a `corsair tune --json` report) or a default (0.5 ms median, 2 ms p99, 10 ms p99.9, \
            25 ms max), and servers have no capacity limit beyond the faults.

            Workload: --clients clients each send --rate requests per second (Poisson) for \
            --duration, keys spread over the slots. Or, like `corsair load`: --requests N \
            --concurrency C [--keys K], one client with C requests in flight.

            Faults (repeat --fault): SHARD:down@START+LENGTH (no replies; requests sent meanwhile \
            are served when it ends, as with a paused process), SHARD:slow=DELAY@START+LENGTH, \
            SHARD:overload[=SHARE]@START+LENGTH (answers "overloaded, retry after 100ms"). Leave \
            out +LENGTH for a fault to the end of the run.

            Reports the success rate, latency of successful requests, retry amplification (attempts \
            ÷ requests: overall, on shards under a fault, on the others during a fault), how long a \
            request to a down shard takes to fail (median and p99), and how long after a fault ends \
            its shard's requests succeed again (no 100 ms window with 1% or more failing). \
            --compare runs the same workload, faults and seed with another file's retry: section \
            and shows both; --mode overrides the mode of --config's section (not of --compare's), \
            so `--config c.yaml --mode pipelined --compare c.yaml` compares pipelined mode with the \
            file's. --json prints one object: success_rate, amplification, \
            amplification_faulted, amplification_healthy, p50_ms, p99_ms, p999_ms, fail_fast_ms, \
            fail_p99_ms, recovery_s, faults, requests, succeeded, succeeded_by_attempt, errors, attempts, retries, events, seed, \
            virtual_s, wall_s, mode, connections_rebuilt, rebuild_failed_attempts, and with \
            --compare the same under "compare". The same --seed gives the same figures (wall_s aside).

            Pipelined mode (`mode: pipelined`) is simulated as the engine runs it: one connection \
            per client and shard; a timed-out request is resent on it with the same request id; a \
            connection with no reply to any of its requests for a whole attempt timeout is rebuilt, \
            and every request in flight on it fails that attempt (connections_rebuilt, \
            rebuild_failed_attempts).

            Exit status: 0 after a run; 2 for input it cannot use (config, fault, latency file, \
            numbers), with one `error:` line naming the argument.
            """
    )

    @Option(help: ArgumentHelp("The cluster's shard-map config file; its retry: section is simulated.", valueName: "file"))
    var config: String

    @Option(parsing: .unconditional, help: ArgumentHelp("How many clients, each with its own engine. Default: 100.", valueName: "n"))
    var clients: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Requests per second per client. Default: 10.", valueName: "r"))
    var rate: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("How long the clients send, in virtual time, such as 60s. Default: 60s.", valueName: "d"))
    var duration: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Requests in all, sent by one client like `corsair load` (instead of --clients and --rate).", valueName: "n"))
    var requests: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("With --requests: requests in flight at once. Default: 1.", valueName: "c"))
    var concurrency: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("With --requests: keys key-0 … key-(K-1), used in turn. Default: 100.", valueName: "k"))
    var keys: String?

    @Option(help: ArgumentHelp("Reply times per shard: a `corsair tune --json` report.", valueName: "file.json"))
    var latency: String?

    @Option(parsing: .unconditionalSingleValue, help: ArgumentHelp("A fault, such as s1:down@10s+20s, s2:slow=200ms@5s+10s or s0:overload@5s+10s; repeat for more.", valueName: "spec"))
    var fault: [String] = []

    @Option(help: ArgumentHelp("Run again with this file's retry: section and show both.", valueName: "other.yaml"))
    var compare: String?

    @Option(help: ArgumentHelp("Override: the retry mode of --config's retry: section.", valueName: "recreate|resend|pipelined"))
    var mode: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("The seed of every random choice. Default: 1.", valueName: "s"))
    var seed: String?

    @Flag(help: "Print one JSON object on stdout instead of the table.")
    var json = false

    func run() throws {
        let plan: SimulationPlan
        do throws(InputProblem) {
            plan = try self.plan()
        } catch {
            throw error.report()
        }
        let first = Simulator(plan.scenario).run()
        var second: SimulationReport?
        if let comparePolicy = plan.comparePolicy {
            var scenario = plan.scenario
            scenario.policy = comparePolicy
            second = Simulator(scenario).run()
        }
        if self.json {
            CommandLineOutput.line(SimulationReport.json(SimulateOutput(report: first, compare: second)))
        } else {
            let columns = [(self.config, first)] + (second.map { [(self.compare ?? "", $0)] } ?? [])
            for line in SimulationTable.lines(plan: plan, columns: columns) {
                CommandLineOutput.line(line)
            }
        }
    }

    /// Everything checked and parsed, before anything runs.
    private func plan() throws(InputProblem) -> SimulationPlan {
        let map = try InputProblem.map(self.config, flag: "--config")
        var settings = map.config.retry
        if let text = self.mode {
            guard let mode = RetrySettings.Mode(rawValue: text) else {
                throw InputProblem("--mode \(text)", "must be one of \(RetrySettings.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            settings.mode = mode
        }
        let policy = try Self.policy(settings, flag: "--config \(self.config)")
        let ids = map.shards.map(\.id)
        let workload: SimulationScenario.Workload
        if let requests = self.requests {
            if let clients = self.clients { throw InputProblem("--clients \(clients)", "goes with --rate, not with --requests") }
            if let rate = self.rate { throw InputProblem("--rate \(rate)", "goes with --clients, not with --requests") }
            if let duration = self.duration {
                throw InputProblem("--duration \(duration)", "goes with --clients and --rate; with --requests the run lasts until they end")
            }
            workload = .closed(
                concurrency: try self.concurrency.map { text throws(InputProblem) in try InputProblem.integer(text, flag: "--concurrency") } ?? 1,
                requests: try InputProblem.integer(requests, flag: "--requests"),
                keys: try self.keys.map { text throws(InputProblem) in try InputProblem.integer(text, flag: "--keys") } ?? 100
            )
        } else {
            if let concurrency = self.concurrency { throw InputProblem("--concurrency \(concurrency)", "goes with --requests") }
            if let keys = self.keys { throw InputProblem("--keys \(keys)", "goes with --requests") }
            workload = .open(
                clients: try self.clients.map { text throws(InputProblem) in try InputProblem.integer(text, flag: "--clients") } ?? 100,
                ratePerClient: try self.rate.map { text throws(InputProblem) in try InputProblem.positiveNumber(text, flag: "--rate") } ?? 10,
                duration: try self.duration.map { text throws(InputProblem) in try InputProblem.duration(text, flag: "--duration") } ?? .seconds(60)
            )
        }
        var faults: [Fault] = []
        var profiles: [String: LatencyProfile] = [:]
        let scenario: SimulationScenario
        do throws(SimulationInputError) {
            faults = try self.fault.map { spec throws(SimulationInputError) in try Fault(parsing: spec, shardIDs: ids) }
            if let file = self.latency {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw SimulationInputError(code: .latency, argument: "--latency \(file)", message: "cannot read the file")
                }
                profiles = try LatencyProfile.profiles(fromTuneReport: data, file: file, shardIDs: ids)
            }
            var seed: UInt64 = 1
            if let text = self.seed {
                guard let value = UInt64(text) else {
                    throw SimulationInputError(code: .workload, argument: "--seed \(text)", message: "not a whole number from 0 to 2^64-1")
                }
                seed = value
            }
            scenario = try SimulationScenario(map: map, workload: workload, latency: profiles, faults: faults, policy: policy, seed: seed)
        } catch {
            throw InputProblem(error.argument, error.message)
        }
        var comparePolicy: RetryPolicy?
        if let other = self.compare {
            comparePolicy = try Self.policy(try InputProblem.map(other, flag: "--compare").config.retry, flag: "--compare \(other)")
        }
        let missing = ids.filter { profiles[$0] == nil }
        return SimulationPlan(
            scenario: scenario,
            comparePolicy: comparePolicy,
            defaultLatencyShards: self.latency == nil ? [] : missing
        )
    }

    private static func policy(_ settings: RetrySettings, flag: String) throws(InputProblem) -> RetryPolicy {
        let policy = RetryPolicy(settings)
        do {
            try policy.validated()
        } catch {
            throw InputProblem(flag, "\(error)")
        }
        return policy
    }
}

/// A checked simulate command line.
struct SimulationPlan {
    var scenario: SimulationScenario
    var comparePolicy: RetryPolicy?
    /// Shards a latency file left out, which get the default profile.
    var defaultLatencyShards: [String]
}

/// `simulate --json`: the first run's report, and the second's under `compare`.
struct SimulateOutput: Encodable {
    var report: SimulationReport
    var compare: SimulationReport?

    enum CodingKeys: String, CodingKey {
        case compare
    }

    func encode(to encoder: any Encoder) throws {
        try self.report.encode(to: encoder)
        if let compare = self.compare {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(compare, forKey: .compare)
        }
    }
}
