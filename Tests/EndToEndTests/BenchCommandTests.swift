import Foundation
import Testing

/// `corsair bench` runs every part and reports every figure. The speed targets live in
/// BENCHMARKS.md, never here: this machine is shared and noisy.
@Suite("corsair bench (end to end)")
struct BenchCommandTests {
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
}
