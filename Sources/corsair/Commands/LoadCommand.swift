import ArgumentParser
import Corsair
import Foundation
import Logging
import ShardMap

/// `corsair load`: drives an existing cluster through ``ShardedClient`` and reports what happened.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Drive a running cluster with keyed requests and report successes, failures, retries and latency.",
        discussion: """
            Sends --requests requests, --concurrency at a time, through the shard map in --config \
            (its retry: section applies). Request i goes to key key-(i mod --keys), so the keys \
            key-0 ... key-(K-1) are used in turn; --op picks the body: "INCR key-i", "GET key-i", \
            or the key itself for an echo server.

            Prints a summary, or with --json one JSON object on stdout: sent, succeeded, failed, \
            lost, errors (failed requests by error kind), retries, reconnects, pushbacks, p50_ms, \
            p99_ms, p999_ms (latency of successful requests, HdrHistogram), throughput_rps \
            (successful requests per second) and elapsed_s. A progress line is shown on stderr \
            when stdout and stderr are terminals.

            Exit status: 0 when every request ended in a reply or a typed error (lost is 0), even \
            if some failed: failures are reported, not fatal; 1 when any request was lost; 2 when \
            the run could not start (unreadable or invalid config, client engine error); 64 for \
            bad arguments.
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
    var config: String

    @Option(help: "How many requests to send in all.")
    var requests: Int

    @Option(help: "How many requests are in flight at once.")
    var concurrency: Int

    @Option(help: "How many distinct keys to use, key-0 ... key-(K-1).")
    var keys: Int = 100

    @Option(help: ArgumentHelp("The request: INCR key, GET key, or the key as an echo body.", valueName: "incr|get|echo"))
    var op: Operation = .incr

    @Flag(help: "Print one JSON object on stdout instead of the summary.")
    var json = false

    func validate() throws {
        guard self.requests >= 1 else { throw ValidationError("--requests must be at least 1") }
        guard self.concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard self.keys >= 1 else { throw ValidationError("--keys must be at least 1") }
    }

    func run() async throws {
        LoggingSystem.bootstrapForCommandLine(level: .warning)
        let client: ShardedClient
        do {
            let store = try ShardMapStore(contentsOf: self.config, logger: Logger(label: "corsair.shards"))
            client = try ShardedClient(store: store)
        } catch {
            CommandLineOutput.error("\(error)")
            throw ExitCode(2)
        }
        let policy = RetryPolicy(client.store.current.config.retry)
        // Past the policy's own deadline, an unanswered request is lost, not slow.
        let watchdog = (policy.deadline ?? policy.attemptTimeout * policy.attempts) + .seconds(5)
        let book = WorkloadBook()
        let progress = ProgressLine()
        let next = TicketCounter()
        let (total, keyCount, operation) = (self.requests, self.keys, self.op)
        let start = ContinuousClock.now

        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<min(self.concurrency, total) {
                group.addTask {
                    while true {
                        let index = next.take()
                        guard index < total else { return }
                        let key = "key-\(index % keyCount)"
                        book.sent(shardID: client.store.current.shard(forKey: key).id)
                        let record = await TrackedRequest.send(operation.body(key: key), key: key, through: client, watchdog: watchdog)
                        book.ended(record)
                    }
                }
            }
            if progress.isInteractive {
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(200))
                        let counts = book.total
                        progress.show(
                            "load: \(counts.succeeded + counts.failed)/\(total) done, \(counts.failed) failed, "
                                + "\(counts.retries) retries, \(String(format: "%.1f", start.duration(to: .now).seconds))s"
                        )
                    }
                }
                // The workers finish first; then the progress task is the one left to stop.
                for _ in 0..<min(self.concurrency, total) {
                    await group.next()
                }
                group.cancelAll()
            }
        }
        progress.clear()
        let elapsed = start.duration(to: .now)
        await client.shutdown()

        let report = LoadReport(book.total, elapsed: elapsed)
        if self.json {
            CommandLineOutput.line(report.json)
        } else {
            for line in report.lines {
                CommandLineOutput.line(line)
            }
        }
        if report.lost != 0 {
            CommandLineOutput.error("\(report.lost) request(s) ended in neither a reply nor a typed error")
            throw ExitCode.failure
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
