import Testing

/// `corsair demo --quick` as a newcomer runs it.
@Suite("corsair demo (end to end)")
struct DemoCommandTests {
    @Test("--quick loses nothing and duplicates nothing", .timeLimit(.minutes(2)))
    func quickDemo() async throws {
        let start = ContinuousClock.now
        let result = try await ChildProcess.run("corsair", ["demo", "--quick"], timeout: .seconds(90))
        let elapsed = start.duration(to: .now)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("lost: 0"), "\(result.stdout)")
        #expect(lines.contains("duplicated: 0"), "\(result.stdout)")
        #expect(lines.contains("misrouted: 0"), "\(result.stdout)")
        // The summary keeps its lines in order, misrouted last.
        let summary = ["succeeded: ", "failed: ", "retries: ", "lost: ", "duplicated: ", "misrouted: "]
        let positions = summary.compactMap { prefix in lines.firstIndex { $0.hasPrefix(prefix) } }
        #expect(positions.count == summary.count && positions == positions.sorted(), "\(result.stdout)")
        for prefix in ["succeeded: ", "failed: ", "retries: "] {
            #expect(lines.contains { $0.hasPrefix(prefix) && Int($0.dropFirst(prefix.count)) != nil }, "\(prefix)missing: \(result.stdout)")
        }
        // Every fault was injected, and the table has a row per shard.
        for word in ["pause ", "kill ", "start ", "burst ", "reshard "] {
            #expect(lines.contains { $0.contains("] \(word)") }, "no \(word)event: \(result.stdout)")
        }
        for shard in ["s0", "s1", "s2"] {
            #expect(lines.contains { $0.hasPrefix(shard + " ") }, "no row for \(shard): \(result.stdout)")
        }
        // The move reached the servers first and the clients later, and the stale client was sent on.
        #expect(lines.contains { $0.contains("servers' file written") }, "\(result.stdout)")
        #expect(lines.contains { $0.contains("clients' file written") && $0.contains("answered \"moved\"") }, "\(result.stdout)")
        // Plain output when not on a terminal: no carriage returns.
        #expect(!result.stdout.contains("\r") && !result.stderr.contains("\r"))
        // Generous: the suite runs other tests alongside on two cores.
        #expect(elapsed < .seconds(60))
    }
}
