import ArgumentParser
import Corsair
import UnitText
import Foundation
import Logging
import ShardMap

/// `corsair demo`: a 3-shard cluster in this process, a keyed INCR workload, faults, and the books.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a 3-shard cluster on loopback under load, inject faults, and check nothing was lost or done twice.",
        discussion: """
            Starts one server per shard of Configs/demo.yaml's map (built in; --config uses another \
            file's cluster, routing and slots) on loopback ports the system picks, and sends INCR \
            key-N requests through ShardedClient, each retried under one idempotent request id. \
            While it runs, one shard stops answering for longer than the attempt timeout, another \
            is killed and restarted on the same port, a burst wider than a third shard's \
            in-flight bound trips its "overloaded" pushback, and a slot range moves from one shard \
            to another under the next epoch: the servers' map file first, the clients' a second \
            later, so that meanwhile the client, on the old map, is answered "moved" and follows.

            It ends with a table per shard and the lines succeeded, failed, retries, lost, \
            duplicated and misrouted. lost counts requests that ended in neither a reply nor a typed error. \
            duplicated counts INCRs the servers applied beyond one per request: for each key, the \
            stores' own count of applied INCRs minus the requests known to have executed (those \
            that succeeded, and those that failed but appear in the shard's request log). \
            misrouted counts writes a shard ran while the servers' map, at that moment, gave the \
            key to another shard.

            The stores and their request logs play a database: they survive the kill, so that a \
            request whose reply was lost with the killed server is answered, not executed again, \
            by its successor. --without-request-log keeps only the servers' in-memory replay cache, \
            to show what it alone guarantees.

            Exit status: 0 when lost, duplicated and misrouted are 0; 1 when any is not; 2 when the cluster \
            could not start (config file, ports).
            """
    )

    @Flag(help: "A shorter run, about ten seconds, each fault once.")
    var quick = false

    @Option(help: ArgumentHelp("A shard-map config file whose cluster, routing and slots to use (its endpoints are replaced).", valueName: "file"))
    var config: String?

    @Flag(help: "Let a retry that reaches a restarted server execute again (no durable request log).")
    var withoutRequestLog = false

    func run() async throws {
        // Kills are part of the show; the servers' warnings about them would only be noise.
        LoggingSystem.bootstrapForCommandLine(level: .error)
        let logger = Logger(label: "corsair.demo")
        let plan = self.quick ? DemoPlan.quick : DemoPlan.full
        var config: ClusterConfig
        do {
            config = try self.config.map { try ClusterConfig(contentsOf: $0) } ?? DemoPlan.builtInConfig
        } catch {
            CommandLineOutput.error("\(error)")
            throw ExitCode(2)
        }
        config.retry = DemoPlan.retry
        let needed = (plan.faults.flatMap(\.fault.shards).max() ?? 0) + 1
        guard config.shards.count >= needed else {
            CommandLineOutput.error("the demo needs at least \(needed) shards; \(self.config ?? "the map") has \(config.shards.count)")
            throw ExitCode(2)
        }

        let cluster: DemoCluster
        let client: ShardedClient
        do {
            cluster = try await DemoCluster.start(config: config, plan: plan, requestLog: !self.withoutRequestLog, logger: logger)
            client = try ShardedClient(store: cluster.clientStore)
        } catch {
            CommandLineOutput.error("\(error)")
            throw ExitCode(2)
        }
        let map = cluster.store.current
        CommandLineOutput.line(
            "corsair demo: \(map.shards.count) shards of cluster \(map.cluster) on loopback, epoch \(map.epoch); "
                + "\(plan.concurrency) requests in flight for \(DurationText.format(plan.duration)), "
                + "attempt timeout \(DurationText.format(RetryPolicy(map.config.retry).attemptTimeout))"
        )
        for shard in map.shards {
            CommandLineOutput.line("  \(shard.id)  \(shard.endpoint)")
        }

        let run = DemoRun(plan: plan, cluster: cluster, client: client)
        await run.drive()
        await cluster.quiesce(timeout: .seconds(5))
        let accounting = DemoAccounting(records: run.book.records, cluster: cluster, clientID: client.engine.clientID)
        let elapsed = run.start.duration(to: .now)
        await client.shutdown()
        await cluster.stop()

        let report = DemoReport(book: run.book, cluster: cluster, accounting: accounting, elapsed: elapsed)
        for line in report.lines {
            CommandLineOutput.line(line)
        }
        if report.total.lost != 0 || accounting.duplicated != 0 || accounting.unexplained != 0 || cluster.misrouted != 0 {
            throw ExitCode.failure
        }
    }
}
