/// `corsair bench`'s human output: the report as aligned tables.
enum BenchTable {
    static func render(_ report: BenchReport) -> String {
        var lines: [String] = []
        lines.append("corsair bench (\(report.mode)): \(report.machine.cores) cores, libzmq \(report.machine.libzmq), \(self.number(report.seconds, 1)) s")
        lines.append("")
        lines.append("Round trips, one client, tcp loopback (µs; medians of alternating rounds)")
        lines.append("corsair: the caller's task on the engine's executor; pool: on the shared concurrency pool")
        lines.append(self.row([
            "size", "raw p50", "raw p99", "raw p999", "corsair p50", "corsair p99", "corsair p999", "p50 ratio", "pool p50",
        ]))
        for entry in report.rtt {
            lines.append(self.row([
                self.size(entry.size),
                self.number(entry.raw.p50, 1), self.number(entry.raw.p99, 1), self.number(entry.raw.p999, 1),
                self.number(entry.corsair.p50, 1), self.number(entry.corsair.p99, 1), self.number(entry.corsair.p999, 1),
                self.number(entry.ratio, 2), self.number(entry.corsairOnPool.p50, 1),
            ]))
        }
        lines.append("")
        lines.append("Fan-in, 64 B requests (requests/s)")
        lines.append(self.row(["raw ROUTER, 16 REQ threads", self.number(report.fanIn.rawRPS16, 0)], width: 34))
        lines.append(self.row(["corsair, 16 in flight", self.number(report.fanIn.corsairRPS16, 0)], width: 34))
        lines.append(self.row(["corsair, 64 in flight", self.number(report.fanIn.corsairRPS64, 0)], width: 34))
        lines.append(self.row(["corsair on pool, 16 in flight", self.number(report.fanIn.corsairOnPoolRPS16, 0)], width: 34))
        lines.append(self.row(["corsair on pool, 64 in flight", self.number(report.fanIn.corsairOnPoolRPS64, 0)], width: 34))
        lines.append(self.row(["pipelined, 16 in flight", self.number(report.fanIn.pipelinedRPS16, 0)], width: 34))
        lines.append(self.row(["pipelined, 64 in flight", self.number(report.fanIn.pipelinedRPS64, 0)], width: 34))
        lines.append(self.row(["pipelined, 256 in flight", self.number(report.fanIn.pipelinedRPS256, 0)], width: 34))
        lines.append(self.row(["3-shard cluster, 64 in flight", self.number(report.clusterRPS, 0)], width: 34))
        lines.append("")
        lines.append(contentsOf: self.cpu(report))
        lines.append("")
        lines.append(self.row(["timeout-and-reconnect cost", "\(self.number(report.reconnectCostMicroseconds, 0)) µs"], width: 34))
        lines.append(self.row(["lookup, slots", "\(self.number(report.lookup.slotsNanosecondsPerKey, 1)) ns/key"], width: 34))
        lines.append(self.row(["lookup, jump", "\(self.number(report.lookup.jumpNanosecondsPerKey, 1)) ns/key"], width: 34))
        lines.append("")
        let resources = report.resources
        lines.append("Reconnect storms (\(resources.measured.reconnects) forced reconnects each)")
        lines.append(self.row(["storm", "fds before", "fds after", "RSS before KiB", "RSS after KiB"]))
        for (name, storm) in [("warm-up", resources.warmup), ("measured", resources.measured)] {
            lines.append(self.row([name, "\(storm.fdsBefore)", "\(storm.fdsAfter)", "\(storm.rssBeforeKiB)", "\(storm.rssAfterKiB)"]))
        }
        lines.append("")
        lines.append("Targets")
        lines.append(self.target("rtt_ratio", report.rttRatio, "≤ 1.10", report.rttRatio <= 1.10))
        lines.append(self.target("fanin_ratio", report.fanInRatio, "≥ 0.90", report.fanInRatio >= 0.9))
        lines.append(self.target("pipelined_fanin_ratio", report.pipelinedFanInRatio, "≥ 2.00", report.pipelinedFanInRatio >= 2))
        lines.append(self.target("req_cpu_ratio", report.reqCPURatio, "≤ 1.30", report.reqCPURatio <= 1.3))
        let lookup = max(report.lookup.slotsNanosecondsPerKey, report.lookup.jumpNanosecondsPerKey)
        lines.append(self.target("lookup ns/key (worst)", lookup, "≤ 100", lookup <= 100))
        lines.append(self.target("fds change %", resources.fdsChangePercent, "≤ 5", resources.fdsChangePercent <= 5))
        lines.append(self.target("RSS change %", resources.rssChangePercent, "≤ 5", resources.rssChangePercent <= 5))
        return lines.joined(separator: "\n")
    }

    /// The fan-in rounds' CPU per request, each side split into application and libzmq threads.
    private static func cpu(_ report: BenchReport) -> [String] {
        let cpu = report.fanInCPU
        var lines = [
            "Fan-in CPU per request (µs; medians of the rounds; client and server in separate processes or contexts)",
            "app: the side's own threads (REQ or echo threads; Corsair's engine or server thread, pool, exited threads); I/O: libzmq's",
            self.row(["round", "client app", "client I/O", "server app", "server I/O", "total"], width: 34),
        ]
        for (name, entry) in [
            ("raw ROUTER, 16 REQ threads", cpu.raw16), ("corsair, 16 in flight", cpu.corsair16), ("corsair, 64 in flight", cpu.corsair64),
            ("pipelined, 16 in flight", cpu.pipelined16), ("pipelined, 64 in flight", cpu.pipelined64),
            ("pipelined, 256 in flight", cpu.pipelined256),
        ] {
            lines.append(self.row([
                name, self.number(entry.client.app, 1), self.number(entry.client.io, 1),
                self.number(entry.server.app, 1), self.number(entry.server.io, 1), self.number(entry.total, 1),
            ], width: 34))
        }
        lines.append(self.row(["req_cpu_ratio (16 in flight / raw)", self.number(report.reqCPURatio, 2)], width: 34))
        lines.append(self.row(["pipelined_cpu_ratio (64 / raw)", self.number(report.pipelinedCPURatio, 2)], width: 34))
        return lines
    }

    private static func target(_ name: String, _ value: Double, _ goal: String, _ met: Bool) -> String {
        self.row([name, self.number(value, 2), goal, met ? "met" : "MISSED"], width: 24)
    }

    private static func row(_ cells: [String], width: Int = 13) -> String {
        cells.enumerated().map { index, cell in
            let pad = max(0, (index == 0 ? width : 13) - cell.count)
            return index == 0 ? cell + String(repeating: " ", count: pad) : String(repeating: " ", count: pad) + cell
        }.joined(separator: " ").trimmingTrailingSpaces()
    }

    private static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : bytes >= 1024 ? "\(bytes >> 10) KiB" : "\(bytes) B"
    }

    private static func number(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        if decimals == 0 { return "\(Int(rounded))" }
        let whole = Int(rounded.magnitude)
        let fraction = Int(((rounded.magnitude - Double(whole)) * scale).rounded())
        let digits = String(fraction)
        return (rounded < 0 ? "-" : "") + "\(whole)." + String(repeating: "0", count: max(0, decimals - digits.count)) + digits
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
