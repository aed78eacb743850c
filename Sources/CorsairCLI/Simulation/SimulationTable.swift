import CorsairSimulation
import Foundation

/// `corsair simulate`'s report for a person: one column per retry section.
enum SimulationTable {
    static func lines(plan: SimulationPlan, columns: [(title: String, report: SimulationReport)]) -> [String] {
        let scenario = plan.scenario
        var lines: [String] = []
        switch scenario.workload {
        case .open(let clients, let rate, let duration):
            lines.append(
                "simulated \(clients) clients × \(Self.number(rate)) req/s for \(Self.number(duration / .seconds(1)))s "
                    + "against \(scenario.shardIDs.count) shards, seed \(scenario.seed)"
            )
        case .closed(let concurrency, let requests, let keys):
            lines.append(
                "simulated one client sending \(requests) requests, \(concurrency) at a time, over \(keys) keys, "
                    + "against \(scenario.shardIDs.count) shards, seed \(scenario.seed)"
            )
        }
        lines.append("faults: " + (scenario.faults.isEmpty ? "none" : scenario.faults.map(\.spec).joined(separator: ", ")))
        if !plan.defaultLatencyShards.isEmpty {
            lines.append("default latency for shards missing from the latency file: \(plan.defaultLatencyShards.joined(separator: ", "))")
        }
        let rows: [(String, (SimulationReport) -> String)] = [
            ("requests", { "\($0.requests)" }),
            ("success rate", { String(format: "%.4f%%", $0.successRate * 100) }),
            ("errors", { $0.errors.isEmpty ? "none" : $0.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }),
            ("succeeded by attempt", { report in
                report.succeededByAttempt.sorted { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
            }),
            ("retries", { "\($0.retries)" }),
            ("amplification", { String(format: "%.3f", $0.amplification) }),
            ("  faulted shards", { Self.ratio($0.faultedAmplification) }),
            ("  healthy, during fault", { Self.ratio($0.healthyAmplification) }),
            ("latency p50/p99/p99.9", { "\(Self.number($0.p50Milliseconds))/\(Self.number($0.p99Milliseconds))/\(Self.number($0.p999Milliseconds)) ms" }),
            ("down shard fails in", { Self.failText($0) }),
            ("recovery after fault", { $0.recoverySeconds.map { "\(Self.number($0)) s" } ?? "-" }),
            ("virtual / wall time", { "\(Self.number($0.virtualSeconds)) s / \(Self.number($0.wallSeconds)) s" }),
            // Below the rows scripts already read, so that none of them moves.
            ("retry mode", { $0.mode }),
            ("connections rebuilt", { report in
                report.mode == "pipelined" ? "\(report.connectionsRebuilt) (\(report.rebuildFailedAttempts) attempts failed with them)" : "-"
            }),
        ]
        let titles = columns.map(\.title)
        let cells = rows.map { row in columns.map { row.1($0.report) } }
        let labelWidth = max(24, rows.map(\.0.count).max() ?? 0)
        let widths = titles.indices.map { column in
            max(titles[column].count, cells.map { $0[column].count }.max() ?? 0)
        }
        func line(_ label: String, _ values: [String]) -> String {
            var text = label.padding(toLength: labelWidth, withPad: " ", startingAt: 0)
            for (value, width) in zip(values, widths) {
                text += "  " + value.padding(toLength: width, withPad: " ", startingAt: 0)
            }
            return String(text.reversed().drop { $0 == " " }.reversed())
        }
        lines.append(line("", titles))
        for (row, values) in zip(rows, cells) {
            lines.append(line(row.0, values))
        }
        return lines
    }

    private static func failText(_ report: SimulationReport) -> String {
        guard let median = report.failFastMilliseconds else { return "-" }
        return "\(Self.number(median)) ms (p99 \(Self.number(report.failP99Milliseconds ?? median)) ms)"
    }

    private static func ratio(_ value: Double?) -> String {
        value.map { String(format: "%.3f", $0) } ?? "-"
    }

    /// A number without trailing zeros: 2, 2.5, 0.125.
    static func number(_ value: Double) -> String {
        var text = String(format: "%.3f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
