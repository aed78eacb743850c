import Foundation
import Testing

/// Hot reload in a running `corsair serve --config F --shard ID`: a broken edit is refused and the
/// last good map stays in use. ShardMapTests (StoreTests) cover the store's rules in depth; this
/// checks the process keeps serving through it.
@Suite("Hot reload of a served shard map (end to end)")
struct HotReloadTests {
    @Test("a broken edit is refused on SIGHUP and the server keeps serving with the last good map")
    func brokenEditKeepsLastGoodMap() async throws {
        let scratch = try ScratchDirectory()
        let good = """
            cluster: reload
            epoch: 1
            routing: {strategy: slots, slots: 16384, hash: crc16}
            shards:
              - {id: s0, endpoint: "\(scratch.ipc("s0"))", slots: ["0-16383"]}

            """
        let path = try scratch.write("cluster.yaml", good)
        let copy = try scratch.write("good-copy.yaml", good)
        let server = try ChildProcess("corsair", ["serve", "--config", path, "--shard", "s0", "--handler", "kv"])
        defer { if server.isRunning { server.signal(SIGKILL) } }
        try #require(await server.waitForLine(prefix: "listening ") != nil, "\(server.stderr)")
        let first = try await ChildProcess.run("corsair", ["request", "--config", copy, "--key", "k", "INCR k"])
        #expect(first.stdout == "1\n", "\(first.stderr)")

        for (name, junk) in [("truncated", String(good.prefix(70))), ("overlap", good.replacingOccurrences(of: "epoch: 1", with: "epoch: 2") + "  - {id: s1, endpoint: \"ipc:///tmp/x\", slots: [\"0-10\"]}\n")] {
            try scratch.write("cluster.yaml", junk)
            server.signal(SIGHUP)
            #expect(await Self.eventually { server.stderr.components(separatedBy: "the last good map stays in use").count > (name == "truncated" ? 1 : 2) }, "\(name): \(server.stderr)")
            #expect(server.isRunning, "\(name)")
            // Still owns every slot under epoch 1: a client with the good map is served, not redirected.
            let again = try await ChildProcess.run("corsair", ["request", "--config", copy, "--key", "k", "--timeout", "2s", "INCR k"])
            #expect(again.status == 0, "\(name): \(again.stderr)")
        }
        let value = try await ChildProcess.run("corsair", ["request", "--config", copy, "--key", "k", "GET k"])
        #expect(value.stdout == "3\n", "\(value.stderr)")
        server.signal(SIGTERM)
        #expect(await server.waitForExit(timeout: .seconds(10)) == 0, "\(server.stderr)")
    }

    static func eventually(timeout: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}
