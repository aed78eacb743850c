import Foundation
import Testing

/// `corsair bench` runs every part and reports every figure. The speed targets live in
/// BENCHMARKS.md, never here: this machine is shared and noisy.
@Suite("corsair bench (end to end)")
struct BenchCommandTests {
    @Test("a server started with CORSAIR_PARENT_PID (as bench starts its fan-in server) stops itself when that parent is SIGKILLed", .timeLimit(.minutes(1)))
    func serverOutlivesNoKilledParent() async throws {
        let corsair = ChildProcess.productsDirectory.appendingPathComponent("corsair").path
        // bash is the parent; it names itself, starts the server, reports its pid and waits.
        let parent = try ChildProcess(
            executable: URL(fileURLWithPath: "/bin/bash"),
            ["-c", "CORSAIR_PARENT_PID=$$ \"$0\" serve --bind 'tcp://127.0.0.1:*' & echo \"server $!\"; wait", corsair]
        )
        defer { parent.signal(SIGKILL) }
        let line = try #require(await parent.waitForLine(prefix: "server "), "\(parent.stderr)")
        let server = try #require(pid_t(line.dropFirst("server ".count)))
        defer { if Self.isAlive(server) { kill(server, SIGKILL) } }
        #expect(await parent.waitForLine(prefix: "listening ") != nil, "the server did not start: \(parent.stderr)")
        #expect(Self.isAlive(server))

        parent.signal(SIGKILL)
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while Self.isAlive(server), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!Self.isAlive(server), "the orphaned server \(server) is still running")
    }

    /// Whether `pid` runs: neither gone nor a zombie waiting for a reaper.
    private static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[close...].hasPrefix(") Z") && !stat[close...].hasPrefix(") X")
    }

    @Test("--smoke --json reports every figure as a positive, finite number")
    func reportsEveryFigure() async throws {
        let result = try await ChildProcess.run("corsair", ["bench", "--smoke", "--json"], timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        for path in [
            "rtt_ratio", "fanin_ratio", "cluster_rps", "reconnect_cost_us",
            "fanin.raw_rps_16", "fanin.corsair_rps_16", "fanin.corsair_rps_64",
            "pipelined_fanin_ratio", "fanin.pipelined_rps_16", "fanin.pipelined_rps_64", "fanin.pipelined_rps_256",
            "lookup.slots_ns_per_key", "lookup.jump_ns_per_key",
            "resources.measured.fds_before", "resources.measured.fds_after",
            "resources.measured.rss_before_kib", "resources.measured.rss_after_kib",
        ] {
            let value = path.split(separator: ".").reduce(object as Any?) { ($0 as? [String: Any])?[String($1)] }
            let number = (value as? NSNumber)?.doubleValue
            #expect(number.map { $0.isFinite && $0 > 0 } == true, "\(path) = \(String(describing: value))")
        }
        try Self.checkCPU(object)
        let rtt = try #require(object["rtt"] as? [[String: Any]])
        #expect(Set(rtt.compactMap { $0["size"] as? Int }) == [64, 4096, 1 << 20])
        for entry in rtt {
            for side in ["raw", "corsair"] {
                let summary = entry[side] as? [String: Any]
                for key in ["p50_us", "p99_us", "p999_us"] {
                    let number = (summary?[key] as? NSNumber)?.doubleValue
                    #expect(number.map { $0.isFinite && $0 > 0 } == true, "rtt \(entry["size"] ?? "?") \(side).\(key)")
                }
            }
        }
    }

    /// Every fan-in round's CPU per request, per side: positive, finite, and within reach of a
    /// request's real cost (bounds that no machine's load pushes a figure across: a request costs
    /// microseconds, not seconds); the split adds up, and a Corsair side names its threads.
    private static func checkCPU(_ object: [String: Any]) throws {
        for key in ["req_cpu_ratio", "pipelined_cpu_ratio"] {
            let ratio = (object[key] as? NSNumber)?.doubleValue
            #expect(ratio.map { $0.isFinite && $0 > 0.01 && $0 < 100 } == true, "\(key) = \(String(describing: ratio))")
        }
        let rounds = try #require(object["fanin_cpu"] as? [String: Any])
        for round in ["raw_16", "corsair_16", "corsair_64", "pipelined_16", "pipelined_64", "pipelined_256"] {
            let entry = rounds[round] as? [String: Any]
            let total = (entry?["total_us"] as? NSNumber)?.doubleValue ?? -1
            #expect(total > 0.5 && total < 100_000, "fanin_cpu.\(round).total_us = \(total)")
            var sides = 0.0
            for side in ["client", "server"] {
                let figures = entry?[side] as? [String: Any]
                let number = { (key: String) in (figures?[key] as? NSNumber)?.doubleValue ?? -1 }
                // libzmq's I/O threads move every byte of every request on both sides.
                #expect(number("app_us") > 0 && number("io_us") > 0, "fanin_cpu.\(round).\(side) = \(String(describing: figures))")
                #expect(abs(number("app_us") + number("io_us") - number("total_us")) < 0.01 * number("total_us") + 0.01)
                sides += number("total_us")
                if round != "raw_16" {
                    let threads = figures?["threads"] as? [String: Any] ?? [:]
                    #expect(threads.keys.contains { $0.hasPrefix("ZMQbg/") }, "fanin_cpu.\(round).\(side).threads = \(threads.keys.sorted())")
                    let engine = side == "client" ? "corsair-client" : "corsair-server"
                    #expect(threads.keys.contains(engine), "fanin_cpu.\(round).\(side).threads = \(threads.keys.sorted())")
                }
            }
            #expect(abs(sides - total) < 0.01 * total + 0.01, "fanin_cpu.\(round): sides \(sides), total \(total)")
        }
    }
}
