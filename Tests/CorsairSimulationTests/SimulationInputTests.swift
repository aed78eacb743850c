import CorsairSimulation
import Foundation
import Testing

/// Fault specs and latency files: what parses, and what each mistake says.
@Suite("Simulator input")
struct SimulationInputTests {
    private let ids = ["s0", "s1", "s2"]

    @Test("fault specs parse into shard, kind and window")
    func faults() throws {
        let down = try Fault(parsing: "s1:down@10s+20s", shardIDs: self.ids)
        #expect(down.shard == 1 && down.kind == .down && down.start == .seconds(10) && down.length == .seconds(20))
        let slow = try Fault(parsing: "s2:slow=200ms@5s+10s", shardIDs: self.ids)
        #expect(slow.kind == .slow(.milliseconds(200)))
        let overload = try Fault(parsing: "s0:overload=0.25@0s", shardIDs: self.ids)
        #expect(overload.kind == .overload(share: 0.25, retryAfter: .milliseconds(100)))
        #expect(overload.length == nil)
    }

    @Test(
        "a bad fault spec names itself and the problem",
        arguments: [
            ("s9:down@10s+20s", "no shard 's9'"),
            ("s1:down@10+20s", "start '10' is not a duration with a unit"),
            ("s1:down@10s+20", "length '20' is not a duration with a unit"),
            ("s1:down@-5s+20s", "must not be negative"),
            ("s1:down@5s+0s", "must be positive"),
            ("s1:slow@5s+1s", "slow needs a delay"),
            ("s1:slow=-3ms@5s+1s", "must be positive"),
            ("s1:melt@5s+1s", "unknown fault 'melt'"),
            ("s1:overload=2@5s", "at most 1"),
            ("down@5s", "expected SHARD:"),
            ("s1:down", "no start time"),
        ]
    )
    func badFaults(spec: String, expected: String) {
        #expect {
            _ = try Fault(parsing: spec, shardIDs: self.ids)
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("--fault '\(spec)': ") && text.contains(expected) && !text.contains("\n")
        }
    }

    @Test("a tune report's shards become latency profiles")
    func latencyFile() throws {
        let json = """
            {"shards": [{"id": "s0", "count": 100, "min_ms": 0.1, "p50_ms": 0.4, "p99_ms": 2, "p999_ms": 7.5, "max_ms": 12}], "recommendation": {}}
            """
        let profiles = try LatencyProfile.profiles(fromTuneReport: Data(json.utf8), file: "t.json", shardIDs: self.ids)
        let profile = try #require(profiles["s0"])
        #expect(profile.p50 == .microseconds(400))
        #expect(profile.p999 == .microseconds(7500))
        #expect(profile.minimum == .microseconds(100))
    }

    @Test(
        "a latency file of the wrong shape names the file and what is wrong",
        arguments: [
            ("[1, 2]", "expected an object with a \"shards\" array"),
            ("{\"shards\": []}", "empty"),
            ("{\"shards\": [{\"p50_ms\": 1}]}", "no \"id\""),
            ("{\"shards\": [{\"id\": \"s7\", \"p50_ms\": 1, \"p99_ms\": 2, \"p999_ms\": 3, \"max_ms\": 4}]}", "'s7' is not in the map"),
            ("{\"shards\": [{\"id\": \"s0\", \"p50_ms\": 1, \"p999_ms\": 3, \"max_ms\": 4}]}", "no \"p99_ms\""),
            ("{\"shards\": [{\"id\": \"s0\", \"p50_ms\": \"fast\", \"p99_ms\": 2, \"p999_ms\": 3, \"max_ms\": 4}]}", "not a number"),
            ("{\"shards\": [{\"id\": \"s0\", \"p50_ms\": 5, \"p99_ms\": 2, \"p999_ms\": 3, \"max_ms\": 4}]}", "p99_ms is below p50_ms"),
            ("not json", "not JSON"),
        ]
    )
    func badLatencyFiles(json: String, expected: String) {
        #expect {
            _ = try LatencyProfile.profiles(fromTuneReport: Data(json.utf8), file: "t.json", shardIDs: self.ids)
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("--latency t.json: ") && text.contains(expected)
        }
    }
}
