import Corsair
import Foundation

/// The demo's closing report: a table per shard, how the servers' records add up, the summary.
struct DemoReport {
    let total: WorkloadBook.Counts
    let lines: [String]

    init(book: WorkloadBook, cluster: DemoCluster, accounting: DemoAccounting, elapsed: Duration) {
        let total = book.total
        let byShard = book.shards
        self.total = total
        var rows = [["shard", "requests", "failed", "retries", "reconnects", "replays served", "overloaded", "restarts", "p50", "p99"]]
        for shard in cluster.shards {
            let counts = byShard[shard.id] ?? WorkloadBook.Counts()
            let statistics = shard.statistics
            rows.append([
                shard.id,
                "\(counts.sent)",
                "\(counts.failed)",
                "\(counts.retries)",
                "\(counts.reconnects)",
                "\(statistics.replays)",
                "\(statistics.overloadReplies)",
                "\(shard.restarts)",
                Self.milliseconds(counts.latency.milliseconds(atPercentile: 50)),
                Self.milliseconds(counts.latency.milliseconds(atPercentile: 99)),
            ])
        }
        var lines = [""]
        lines += Self.align(rows)
        lines.append("")
        if !total.errors.isEmpty {
            let errors = total.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append("failures by kind: \(errors)")
        }
        lines.append(
            "servers' records: \(accounting.applied) INCRs applied = \(accounting.succeeded) succeeded + "
                + "\(accounting.failedButExecuted) failed but executed + \(accounting.duplicated) duplicated"
                + (accounting.unexplained > 0 ? " (and \(accounting.unexplained) executed requests with no INCR applied!)" : "")
        )
        lines.append(
            "retries answered without running the handler again: \(cluster.shards.reduce(0) { $0 + $1.statistics.replays }) from the replay cache, "
                + "\(accounting.repeatedCalls) reached a restarted server"
                + (cluster.shards.first?.log.isEnabled == false ? " and ran again (no request log)" : " (answered from the request log)")
        )
        lines.append(String(format: "%d requests in %.1fs", total.sent, elapsed.seconds))
        lines.append("")
        lines.append("succeeded: \(total.succeeded)")
        lines.append("failed: \(total.failed)")
        lines.append("retries: \(total.retries)")
        lines.append("lost: \(total.lost)")
        lines.append("duplicated: \(accounting.duplicated)")
        lines.append("misrouted: \(cluster.misrouted)")
        self.lines = lines
    }

    private static func milliseconds(_ value: Double) -> String {
        String(format: "%.1fms", value)
    }

    private static func align(_ rows: [[String]]) -> [String] {
        var widths = [Int](repeating: 0, count: rows.first?.count ?? 0)
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                // The shard id reads best left-aligned, the numbers right-aligned.
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }
            .joined(separator: "  ")
        }
    }
}
