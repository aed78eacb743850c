import ArgumentParser
import Corsair
import Foundation
import Logging
import ShardMap

/// `corsair load`: drives a cluster through its shard map, or one server, and reports what happened.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Drive a running cluster or one server with requests and report successes, failures, retries and latency.",
        discussion: """
            With --config, requests go through the shard map in FILE (its retry: section applies); \
            with --endpoint, all go to one server (--raw for a plain REQ/REP peer). Sends \
            --requests requests, or sends for --duration (default 10s), --concurrency at a time. \
            Request i goes to key key-(i mod --keys), so the keys key-0 ... key-(K-1) are used in \
            turn; --op picks the body: "INCR key-i", "GET key-i", or the key itself for an echo \
            server.

            Closed loop by default: each of the --concurrency workers sends its next request when \
            the last one ended. With --rate R the run is open loop: request i is due at i/R \
            seconds, and its latency counts from that due time, so a stall that holds requests \
            back shows in the latencies (coordinated omission corrected, as wrk2 does); \
            --concurrency then bounds the requests in flight.

            --attempt-timeout, --attempts, --deadline, --jitter, --budget-ratio, --mode and \
            --heartbeat-interval override the retry settings (the file's retry: section, or the defaults with \
            --endpoint) for A/B runs without editing files.

            Prints a summary and one line per shard, or with --json one JSON object on stdout: \
            sent, succeeded, failed, lost, errors (failed requests by error kind), retries, \
            reconnects, pushbacks, succeeded_by_attempt (successes at attempt 1, 2, 3…), p50_ms, \
            p99_ms, p999_ms, max_ms (latency of successful requests, HdrHistogram; null when none \
            succeeded), throughput_rps (successful requests per second), elapsed_s, concurrency, \
            rate_rps (null for a closed loop), stopped (null, "no_answer" or "lost"), and shards: \
            the same counts per shard id, with its endpoint. A progress line is shown on stderr \
            when stdout and stderr are terminals.

            Exit status: 0 when every request ended in a reply or a typed error, even if some \
            failed: failures are reported, not fatal; 1 when no shard answered any request (the \
            run stops as soon as every shard tried has failed without an answer) or a request was \
            lost (it outlived its retry deadline by 5s); 2 when the run could not start (bad \
            arguments, an unreadable or invalid config, an unusable endpoint).
            """
    )

    /// What each request asks.
    enum Operation: String, ExpressibleByArgument, CaseIterable, Sendable {
        case incr
        case get
        case echo

        func body(key: String) -> [[UInt8]] {
            switch self {
            case .incr: return [Array("INCR \(key)".utf8)]
            case .get: return [Array("GET \(key)".utf8)]
            case .echo: return [Array(key.utf8)]
            }
        }
    }

    @Option(help: ArgumentHelp("The cluster's shard-map config file.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("One server to load instead of a cluster, such as tcp://127.0.0.1:5555.", valueName: "endpoint"))
    var endpoint: String?

    @Flag(help: "With --endpoint: send only the body frame and accept any reply (plain REQ/REP peers).")
    var raw = false

    @Option(help: "How many requests to send in all (instead of --duration).")
    var requests: Int?

    @Option(help: ArgumentHelp("How long to send for, such as 30s (default 10s; instead of --requests).", valueName: "duration"), transform: DurationArgument.parse)
    var duration: DurationArgument?

    @Option(help: "How many requests are in flight at once.")
    var concurrency: Int = 16

    @Option(help: ArgumentHelp("Requests per second, open loop: latencies count from each request's due time.", valueName: "per-second"))
    var rate: Double?

    @Option(help: "How many distinct keys to use, key-0 ... key-(K-1).")
    var keys: Int = 100

    @Option(help: ArgumentHelp("The request: INCR key, GET key, or the key as an echo body.", valueName: "incr|get|echo"))
    var op: Operation = .incr

    @Option(name: .customLong("attempt-timeout"), help: ArgumentHelp("Override: how long each attempt waits for its reply.", valueName: "duration"), transform: DurationArgument.parse)
    var attemptTimeout: DurationArgument?

    @Option(help: ArgumentHelp("Override: how many sends per request, the first included.", valueName: "n"))
    var attempts: Int?

    @Option(help: ArgumentHelp("Override: the most time a request may take over all its attempts.", valueName: "duration"), transform: DurationArgument.parse)
    var deadline: DurationArgument?

    @Option(help: ArgumentHelp("Override: the backoff's jitter.", valueName: "none|full|equal|decorrelated"))
    var jitter: String?

    @Option(name: .customLong("budget-ratio"), help: ArgumentHelp("Override: retries allowed per request sent, such as 0.2.", valueName: "ratio"))
    var budgetRatio: Double?

    @Option(help: ArgumentHelp("Override: what a retry does with the socket.", valueName: "recreate|resend|pipelined"))
    var mode: String?

    @Option(
        name: .customLong("heartbeat-interval"),
        help: ArgumentHelp("Override: ZMTP heartbeats of pipelined connections, their timeout 3 × it; off for none.", valueName: "duration|off"),
        transform: HeartbeatArgument.parse
    )
    var heartbeatInterval: HeartbeatArgument?

    @Flag(help: "Print one JSON object on stdout instead of the summary.")
    var json = false

    @OptionGroup var operations: OperationsOptions

    func validate() throws {
        guard (self.config == nil) != (self.endpoint == nil) else {
            throw ValidationError("give exactly one of --config and --endpoint")
        }
        if self.raw && self.endpoint == nil {
            throw ValidationError("--raw goes with --endpoint")
        }
        if self.requests != nil && self.duration != nil {
            throw ValidationError("give --requests or --duration, not both")
        }
        if let requests = self.requests, requests < 1 { throw ValidationError("--requests must be at least 1") }
        guard self.concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard self.keys >= 1 else { throw ValidationError("--keys must be at least 1") }
        if let rate = self.rate, !(rate.isFinite && rate > 0) {
            throw ValidationError("--rate must be a positive number of requests per second")
        }
        if let attempts = self.attempts, attempts < 1 { throw ValidationError("--attempts must be at least 1") }
        if let ratio = self.budgetRatio, !(ratio.isFinite && ratio >= 0) {
            throw ValidationError("--budget-ratio must be a number of at least 0")
        }
        if let jitter = self.jitter, RetrySettings.Jitter(rawValue: jitter) == nil {
            throw ValidationError("--jitter must be one of \(RetrySettings.Jitter.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let mode = self.mode, RetrySettings.Mode(rawValue: mode) == nil {
            throw ValidationError("--mode must be one of \(RetrySettings.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// `base` with the command line's overrides.
    func retrySettings(over base: RetrySettings) -> RetrySettings {
        var settings = base
        if let timeout = self.attemptTimeout { settings.attemptTimeout = timeout.duration }
        if let attempts = self.attempts { settings.attempts = attempts }
        if let deadline = self.deadline { settings.deadline = deadline.duration }
        if let jitter = self.jitter.flatMap(RetrySettings.Jitter.init(rawValue:)) { settings.backoff.jitter = jitter }
        if let ratio = self.budgetRatio { settings.budget.ratio = ratio }
        if let mode = self.mode.flatMap(RetrySettings.Mode.init(rawValue:)) { settings.mode = mode }
        if let heartbeat = self.heartbeatInterval {
            // The file's timeout belonged to the file's interval: the override's is 3 × its own.
            settings.heartbeatInterval = heartbeat.interval ?? .zero
            settings.heartbeatTimeout = nil
        }
        return settings
    }

    /// The cluster or server to load, and the retry policy its requests use.
    private func openTarget() throws -> (LoadTarget, RetryPolicy) {
        if let endpoint = self.endpoint {
            if let failure = CommandLineFailure.invalidEndpoint(endpoint) { throw failure }
            let policy = RetryPolicy(self.retrySettings(over: RetrySettings()))
            var configuration = ClientEngine.Configuration()
            configuration.retry = policy
            do {
                return (.endpoint(try ClientEngine(configuration: configuration), Endpoint(endpoint)), policy)
            } catch {
                throw CommandLineFailure("\(error)", status: CommandLineFailure.unusable)
            }
        }
        do {
            let store = try ShardMapStore(contentsOf: self.config ?? "", logger: Logger(label: "corsair.shards"))
            let policy = RetryPolicy(self.retrySettings(over: store.current.config.retry))
            return (.cluster(try ShardedClient(store: store)), policy)
        } catch {
            throw CommandLineFailure("\(error)", status: CommandLineFailure.unusable)
        }
    }

    func run() async throws {
        LoggingSystem.bootstrapForCommandLine(level: .warning, format: self.operations.logFormat)
        // Before the engine exists: its metrics are made when it is, from the backend in place then.
        var metrics: MetricsEndpoint?
        if let address = self.operations.metricsAddress {
            let endpoint = try await MetricsEndpoint.start(at: address, logger: Logger(label: "corsair.load"))
            // On stderr: stdout carries only the report (one JSON object with --json).
            FileHandle.standardError.write(Data("metrics \(endpoint.bound)\n".utf8))
            metrics = endpoint
        }
        defer { if let metrics { Task { await metrics.stop() } } }
        let (target, policy) = try self.openTarget()
        do {
            try policy.validated()
        } catch {
            await target.shutdown()
            throw CommandLineFailure("retry settings: \(error)", status: CommandLineFailure.unusable)
        }
        let book = LoadBook(shards: target.shards.count, workers: self.concurrency)
        let keys = (0..<self.keys).map { "key-\($0)" }
        let plan = LoadDriver.Plan(
            requests: self.requests,
            duration: self.duration?.duration ?? .seconds(10),
            rate: self.rate,
            concurrency: self.concurrency,
            keys: keys,
            bodies: keys.map { self.op.body(key: $0) },
            shardOfKey: keys.map { target.shardIndex(forKey: $0) }
        )
        let options = RequestOptions(retry: policy, raw: self.raw, onEvent: { [book] in book.observe($0) })
        let driver = LoadDriver(target: target, plan: plan, book: book, options: options)
        let start = ContinuousClock.now
        let workers = Task(executorPreference: target.executor) {
            await driver.run(start: start)
        }
        let stopped = await self.watch(book, workers: workers, policy: policy, start: start)
        let elapsed = start.duration(to: book.finishedAt ?? .now)
        // Counted before the engine stops: stopping it would fail a lost request, hiding the loss.
        let tallies = book.shards
        await target.shutdown()

        let report = LoadReport(
            shards: zip(target.shards, tallies).map { ($0.0.id, $0.0.endpoint, $0.1) },
            attempts: policy.attempts,
            book: book,
            elapsed: elapsed,
            concurrency: self.concurrency,
            rate: self.rate,
            stopped: stopped
        )
        if self.json {
            CommandLineOutput.line(report.json)
        } else {
            for line in report.lines {
                CommandLineOutput.line(line)
            }
        }
        if stopped == .noAnswer {
            let reasons = zip(target.shards, tallies).compactMap { shard, tally in
                tally.telling.map { error in
                    let curveSource: CommandLineFailure.CurveSource = self.config.map { .config($0) } ?? .option
                    let failure = CommandLineFailure.request(error, usedCurve: shard.usesCurve, curveSource: curveSource, raw: self.raw)
                    return "\(shard.id): \(failure.message)"
                }
            }
            throw CommandLineFailure("no shard answered (\(reasons.joined(separator: "; ")))", hint: self.endpoint == nil ? "is the cluster running?" : "is the server running?")
        }
        if report.total.lost != 0 {
            throw CommandLineFailure("\(report.total.lost) request(s) ended in neither a reply nor a typed error")
        }
    }

    /// Shows progress and decides when the run ends: when the workers are done, or at once when a
    /// request is lost or no shard answers.
    private func watch(_ book: LoadBook, workers: Task<Void, Never>, policy: RetryPolicy, start: ContinuousClock.Instant) async -> LoadBook.Stop? {
        // Past the policy's own deadline, an unanswered request is lost, not slow.
        let watchdog = (policy.deadline ?? policy.attemptTimeout * policy.attempts + policy.backoff.maximum * policy.attempts) + .seconds(5)
        let progress = ProgressLine()
        let total = self.requests.map { "/\($0)" } ?? ""
        while book.finishedAt == nil {
            if let stop = book.verdict(now: .now, watchdog: watchdog) {
                book.stop()
                if stop == .noAnswer {
                    // The requests still out would only fail the same way: end them now.
                    workers.cancel()
                    let bound = ContinuousClock.now + .seconds(2)
                    while book.finishedAt == nil, ContinuousClock.now < bound {
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                }
                progress.clear()
                return stop
            }
            let counts = book.progress
            progress.show(
                "load: \(counts.ended)\(total) done, \(counts.failed) failed, \(counts.retries) retries, "
                    + String(format: "%.1fs", start.duration(to: .now).seconds)
            )
            try? await Task.sleep(for: .milliseconds(50))
        }
        progress.clear()
        // A run short enough to end before a check still ends as one that no shard answered.
        return book.verdict(now: .now, watchdog: watchdog)
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
