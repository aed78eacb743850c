import ArgumentParser
import Corsair
import CorsairSimulation
import UnitText
import Foundation
import Logging
import ShardMap

/// `corsair tune`: measures each shard's reply times and recommends a `retry:` section.
struct TuneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Measure each shard's latency under a calibration load and recommend a retry: section.",
        discussion: """
            Sends requests to every shard of --config for --duration (default 10s), --concurrency \
            at a time (default 8), spread evenly over the shards, each a single attempt with no \
            budget or breaker so that it measures the shard. Keys are tune-N, sorted to their \
            shards; --op picks the body: GET (the default, which changes nothing), INCR, or the \
            key itself for an echo server.

            Prints YAML on stdout: comment lines with each shard's latency (HdrHistogram) and \
            plain-words judgments of the file's current retry: section, then the recommended \
            retry: section, each field with a comment saying why; paste it over the file's \
            retry: section. The attempt timeout is 3 × the worst shard's p99.9 (at least 10ms), \
            and its comment gives the share of measured requests slower than it: the retries it \
            causes with nothing wrong.

            --json prints one object instead: config, duration_s, concurrency, op, shards (id, \
            endpoint, count, unanswered, min_ms, p50_ms, p99_ms, p999_ms, max_ms, rps), judgments, \
            and recommendation (attempt_timeout_ms, attempts, deadline_ms, backoff, budget, \
            circuit_breaker, mode, spurious_retry_rate, yaml). `corsair simulate --latency` reads it.

            Exit status: 0 with a recommendation; 1 when a shard does not answer (nothing on \
            stdout); 2 for input it cannot use, with one `error:` line naming the argument.
            """
    )

    @Option(help: ArgumentHelp("The cluster's shard-map config file.", valueName: "file"))
    var config: String

    @Option(parsing: .unconditional, help: ArgumentHelp("How long to measure, such as 10s. Default: 10s.", valueName: "d"))
    var duration: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Requests in flight at once. Default: 8.", valueName: "c"))
    var concurrency: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("The request: GET key (default), INCR key, or the key as an echo body.", valueName: "incr|get|echo"))
    var op: String?

    @Flag(help: "Print one JSON object on stdout instead of the YAML.")
    var json = false

    func run() async throws {
        LoggingSystem.bootstrapForCommandLine(level: .error)
        let calibration: Calibration
        let current: RetryPolicy
        do throws(InputProblem) {
            (calibration, current) = try self.plan()
        } catch {
            throw error.report()
        }
        let client: ShardedClient
        do {
            let store = try ShardMapStore(contentsOf: self.config, logger: Logger(label: "corsair.shards"))
            client = try ShardedClient(store: store)
        } catch {
            throw InputProblem("--config \(self.config)", "\(error)").report()
        }
        let keys = calibration.keysByShard()
        if let empty = keys.firstIndex(where: \.isEmpty) {
            await client.shutdown()
            throw InputProblem("--config \(self.config)", "found no key that routes to shard \(calibration.map.shards[empty].id)").report()
        }
        let unreachable = await calibration.unreachableShards(client: client, keys: keys)
        guard unreachable.isEmpty else {
            await client.shutdown()
            let which = unreachable.map { id in "\(id) (\(calibration.map.shard(id: id)?.endpoint ?? "?"))" }.joined(separator: ", ")
            throw InputProblem(
                "--config \(self.config)",
                "no answer within \(DurationText.format(Calibration.reachabilityTimeout)) from \(which); is the cluster running?",
                status: 1
            ).report()
        }
        let result = await calibration.run(client: client, keys: keys, progress: ProgressLine())
        await client.shutdown()
        let measurement = TuneMeasurement(map: calibration.map, result: result)
        if let silent = measurement.shards.first(where: { $0.count == 0 }) {
            throw InputProblem("--config \(self.config)", "shard \(silent.id) (\(silent.endpoint)) stopped answering during calibration", status: 1).report()
        }
        let report = TuneReport(
            config: self.config,
            concurrency: calibration.concurrency,
            operation: calibration.operation.rawValue,
            measurement: measurement,
            current: current
        )
        if self.json {
            CommandLineOutput.line(SimulationReport.json(report))
        } else {
            CommandLineOutput.line(report.lines.joined(separator: "\n"))
        }
    }

    private func plan() throws(InputProblem) -> (Calibration, RetryPolicy) {
        let map = try InputProblem.map(self.config, flag: "--config")
        let current = RetryPolicy(map.config.retry)
        let operation: Calibration.Operation
        if let op = self.op {
            guard let parsed = Calibration.Operation(rawValue: op) else {
                throw InputProblem("--op \(op)", "expected incr, get or echo")
            }
            operation = parsed
        } else {
            operation = .get
        }
        let calibration = Calibration(
            map: map,
            duration: try self.duration.map { text throws(InputProblem) in try InputProblem.duration(text, flag: "--duration") } ?? .seconds(10),
            concurrency: try self.concurrency.map { text throws(InputProblem) in
                try InputProblem.integer(text, flag: "--concurrency", maximum: Calibration.maximumConcurrency)
            } ?? 8,
            operation: operation
        )
        return (calibration, current)
    }
}
