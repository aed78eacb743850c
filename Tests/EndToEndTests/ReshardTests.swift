import Foundation
import Testing

/// Resharding with every piece a process: `corsair serve --config F --shard ID` servers that follow
/// their file, and `corsair request` / `corsair load` clients on an older copy of it.
@Suite("Resharding (end to end)")
struct ReshardTests {
    /// A slot map over shards with their slot ranges, such as `("s0", ["0-8191"])`.
    static func slotMap(_ scratch: ScratchDirectory, epoch: Int, _ shards: [(id: String, slots: [String])]) -> String {
        var text = "cluster: reshard\nepoch: \(epoch)\nrouting: {strategy: slots, slots: 16384, hash: crc16, hash_tag: true}\nshards:\n"
        for shard in shards {
            let slots = shard.slots.map { "\"\($0)\"" }.joined(separator: ", ")
            text += "  - {id: \(shard.id), endpoint: \"\(scratch.ipc(shard.id))\", slots: [\(slots)]}\n"
        }
        return text + Self.retry
    }

    /// A jump map over `count` shards j0 ... j(count-1).
    static func jumpMap(_ scratch: ScratchDirectory, epoch: Int, count: Int) -> String {
        var text = "cluster: reshard\nepoch: \(epoch)\nrouting: {strategy: jump}\nshards:\n"
        for index in 0..<count {
            text += "  - {id: j\(index), endpoint: \"\(scratch.ipc("j\(index)"))\"}\n"
        }
        return text + Self.retry
    }

    static let retry = """
        retry:
          attempt_timeout: 2s
          attempts: 5
          deadline: 20s
          backoff: {initial: 20ms, max: 200ms}
          budget: {ratio: 1, min_per_second: 500}
          circuit_breaker: {failures: 1000, open_for: 250ms}

        """

    /// Starts one shard's server with statistics on exit, and waits until it listens.
    static func serve(_ config: String, shard: String) async throws -> ChildProcess {
        let server = try ChildProcess("corsair", ["serve", "--config", config, "--shard", shard, "--statistics-on-exit"])
        try #require(await server.waitForLine(prefix: "listening ") != nil, "shard \(shard) did not start: \(server.stderr)")
        return server
    }

    /// Sends SIGHUP and waits until the server logs a map of `epoch` in use.
    static func reload(_ server: ChildProcess, toEpoch epoch: Int) async -> Bool {
        server.signal(SIGHUP)
        return await HotReloadTests.eventually {
            server.stderr.split(separator: "\n").contains { $0.contains("new map in use") && $0.contains("epoch=\(epoch)") }
        }
    }

    /// Stops a server with SIGTERM and returns its `statistics {json}` line.
    static func stop(_ server: ChildProcess) async throws -> [String: Any] {
        server.signal(SIGTERM)
        #expect(await server.waitForExit(timeout: .seconds(15)) == 0, "\(server.stderr)")
        let line = try #require(server.stdout.split(separator: "\n").first { $0.hasPrefix("statistics ") }, "\(server.stdout)")
        let parsed = try JSONSerialization.jsonObject(with: Data(line.dropFirst("statistics ".count).utf8)) as? [String: Any]
        return try #require(parsed)
    }

    static func replies(_ statistics: [String: Any], _ status: String) -> Int {
        (statistics["replies"] as? [String: Any])?[status] as? Int ?? 0
    }

    @Test("the issue's scenario: a stale client's SET k-161 is moved to s1, and s0 never runs it", .timeLimit(.minutes(2)))
    func staleClientWrite() async throws {
        let scratch = try ScratchDirectory()
        let before = Self.slotMap(scratch, epoch: 1, [("s0", ["0-8191"]), ("s1", ["8192-16383"])])
        let servers = try scratch.write("servers.yaml", before)
        let client = try scratch.write("client.yaml", before)
        let s0 = try await Self.serve(servers, shard: "s0")
        let s1 = try await Self.serve(servers, shard: "s1")
        defer { for server in [s0, s1] where server.isRunning { server.signal(SIGKILL) } }

        // The servers' file moves slots 0-99 from s0 to s1 under epoch 2; both servers reload it.
        try scratch.write("servers.yaml", Self.slotMap(scratch, epoch: 2, [("s0", ["100-8191"]), ("s1", ["0-99", "8192-16383"])]))
        #expect(await Self.reload(s0, toEpoch: 2), "\(s0.stderr)")
        #expect(await Self.reload(s1, toEpoch: 2), "\(s1.stderr)")

        let lookup = try await ChildProcess.run("corsair", ["shards", "lookup", client, "k-161"])
        #expect(lookup.stdout.contains(" s0 "), "the stale map sends k-161 to s0: \(lookup.stdout)")
        let write = try await ChildProcess.run("corsair", ["request", "--config", client, "--key", "k-161", "--verbose", "SET k-161 v"])
        #expect(write.status == 0, "\(write.stderr)")
        #expect(write.stdout == "OK\n", "\(write.stdout)")
        #expect(write.stderr.contains("moved: ") && write.stderr.contains("shard s1"), "\(write.stderr)")

        let onS1 = try await ChildProcess.run("corsair", ["request", "--config", servers, "--shard", "s1", "GET k-161"])
        #expect(onS1.stdout == "v\n", "\(onS1.stderr)")
        let onS0 = try await ChildProcess.run("corsair", ["request", "--config", servers, "--shard", "s0", "GET k-161"])
        #expect(onS0.status == 0 && onS0.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(onS0.stdout) \(onS0.stderr)")

        let s0Statistics = try await Self.stop(s0)
        let s1Statistics = try await Self.stop(s1)
        #expect(Self.replies(s0Statistics, "moved") == 1, "\(s0Statistics)")
        #expect(s0Statistics["handler_executions"] as? Int == 1, "only the GET: \(s0Statistics)")
        #expect(s0Statistics["misrouted_writes"] as? Int == 0)
        #expect(s1Statistics["misrouted_writes"] as? Int == 0)
    }

    @Test("a plain REQ client's raw write to a sharded server is refused in one frame", .timeLimit(.minutes(1)))
    func rawRefused() async throws {
        let scratch = try ScratchDirectory()
        let servers = try scratch.write("servers.yaml", Self.slotMap(scratch, epoch: 1, [("s0", ["0-16383"])]))
        let s0 = try await Self.serve(servers, shard: "s0")
        defer { if s0.isRunning { s0.signal(SIGKILL) } }
        let raw = try await ChildProcess.run("corsair", ["request", "--endpoint", scratch.ipc("s0"), "--raw", "SET k v"])
        #expect(raw.status == 0)
        #expect(raw.stdout.hasPrefix("ERR raw requests are refused on a sharded server"), "\(raw.stdout)")
        let statistics = try await Self.stop(s0)
        #expect(statistics["handler_executions"] as? Int == 0, "\(statistics)")
    }

    /// Runs `corsair load` on `config` with INCRs over `keys` keys.
    static func load(_ config: String, requests: Int, keys: Int) throws -> ChildProcess {
        try ChildProcess(
            "corsair",
            ["load", "--config", config, "--requests", "\(requests)", "--concurrency", "8", "--keys", "\(keys)", "--op", "incr", "--json"],
            environment: ["CORSAIR_LOG_LEVEL": "error"]
        )
    }

    /// The value of `key` on one shard, asked shard-level.
    static func value(_ key: String, config: String, shard: String) async throws -> Int {
        let result = try await ChildProcess.run("corsair", ["request", "--config", config, "--shard", shard, "GET \(key)"])
        #expect(result.status == 0, "\(result.stderr)")
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Waits until some shard holds a value for key-0: the load is under way.
    static func waitForProgress(config: String, shards: [String]) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while ContinuousClock.now < deadline {
            for shard in shards where try await Self.value("key-0", config: config, shard: shard) > 0 {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("corsair load made no progress")
    }

    /// A three-shard slot map at epoch 1 written as both the servers' and the client's file, and the
    /// map of epoch 2 that moves slots 0-2730 from s0 to s1.
    static func slotMoveFiles() throws -> (scratch: ScratchDirectory, ids: [String], after: String) {
        let scratch = try ScratchDirectory()
        let before = Self.slotMap(scratch, epoch: 1, [("s0", ["0-5460"]), ("s1", ["5461-10922"]), ("s2", ["10923-16383"])])
        let after = Self.slotMap(scratch, epoch: 2, [("s0", ["2731-5460"]), ("s1", ["0-2730", "5461-10922"]), ("s2", ["10923-16383"])])
        try scratch.write("servers.yaml", before)
        try scratch.write("client.yaml", before)
        return (scratch, ["s0", "s1", "s2"], after)
    }

    /// One `corsair serve --config` process per shard, each listening.
    static func serveAll(_ config: String, shards ids: [String]) async throws -> [ChildProcess] {
        var processes: [ChildProcess] = []
        for id in ids {
            processes.append(try await Self.serve(config, shard: id))
        }
        return processes
    }

    /// The load's JSON summary.
    static func summary(_ load: ChildProcess) async throws -> [String: Any] {
        let status = await load.waitForExit(timeout: .seconds(120))
        if status == nil { load.signal(SIGKILL) }
        #expect(status == 0, "\(load.stderr)")
        let line = try #require(load.stdout.split(separator: "\n").last.map(String.init), "no output: \(load.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
    }

    @Test("corsair load under a slot move: the servers' file first, the clients' later; nothing lost, nothing misrouted", .timeLimit(.minutes(3)))
    func loadUnderSlotMove() async throws {
        let (scratch, ids, after) = try Self.slotMoveFiles()
        let (servers, client) = (scratch.file("servers.yaml"), scratch.file("client.yaml"))
        let processes = try await Self.serveAll(servers, shards: ids)
        defer { for server in processes where server.isRunning { server.signal(SIGKILL) } }
        let keys = 20
        let load = try Self.load(client, requests: 6000, keys: keys)
        defer { if load.isRunning { load.signal(SIGKILL) } }
        try await Self.waitForProgress(config: servers, shards: ids)

        try scratch.write("servers.yaml", after)
        for server in processes {
            #expect(await Self.reload(server, toEpoch: 2), "\(server.stderr)")
        }
        let loadStillRunning = load.isRunning
        try scratch.write("client.yaml", after)

        let summary = try await Self.summary(load)
        let succeeded = try #require(summary["succeeded"] as? Int)
        #expect(summary["lost"] as? Int == 0, "\(summary)")
        #expect(summary["failed"] as? Int == 0, "\(summary)")
        var statistics: [[String: Any]] = []
        // Every INCR that succeeded is in exactly one shard's store: the values add up.
        var applied = 0
        for number in 0..<keys {
            for id in ids {
                applied += try await Self.value("key-\(number)", config: servers, shard: id)
            }
        }
        #expect(applied == succeeded, "\(applied) INCRs applied, \(succeeded) succeeded")
        for server in processes {
            statistics.append(try await Self.stop(server))
        }
        #expect(statistics.allSatisfy { $0["misrouted_writes"] as? Int == 0 }, "\(statistics)")
        if loadStillRunning {
            // The client was on epoch 1 while the servers were on 2: s0 sent some of its keys on.
            #expect(Self.replies(statistics[0], "moved") > 0, "\(statistics[0])")
        }
    }

    @Test("thousands of stale-client requests answered under a newer epoch make the client read its file once", .timeLimit(.minutes(3)))
    func staleBurstReloadsOnce() async throws {
        let (scratch, ids, after) = try Self.slotMoveFiles()
        let (servers, client) = (scratch.file("servers.yaml"), scratch.file("client.yaml"))
        let processes = try await Self.serveAll(servers, shards: ids)
        defer { for server in processes where server.isRunning { server.signal(SIGKILL) } }
        let load = try ChildProcess(
            "corsair",
            ["load", "--config", client, "--requests", "8000", "--concurrency", "16", "--keys", "50", "--op", "incr", "--json"],
            environment: ["CORSAIR_LOG_LEVEL": "debug"]
        )
        defer { if load.isRunning { load.signal(SIGKILL) } }
        try await Self.waitForProgress(config: servers, shards: ids)
        // The client's file has the new map already, but nothing tells the client until a server
        // answers under epoch 2; then every reply says so, and the client reads its file once.
        try scratch.write("client.yaml", after)
        try scratch.write("servers.yaml", after)
        for server in processes {
            #expect(await Self.reload(server, toEpoch: 2), "\(server.stderr)")
        }
        let runningAfterSwitch = load.isRunning
        let summary = try await Self.summary(load)
        #expect(summary["lost"] as? Int == 0, "\(summary)")
        #expect(summary["failed"] as? Int == 0, "\(summary)")
        let reads = load.stderr.components(separatedBy: "reading the shard map file").count - 1
        if runningAfterSwitch {
            #expect(reads == 1, "\(reads) reads of the client's file")
        }
        var statistics: [[String: Any]] = []
        for server in processes {
            statistics.append(try await Self.stop(server))
        }
        #expect(statistics.allSatisfy { $0["misrouted_writes"] as? Int == 0 }, "\(statistics)")
        // Stale requests reached the old owner after the switch and were sent on.
        if runningAfterSwitch {
            #expect(Self.replies(statistics[0], "moved") > 0, "\(statistics[0])")
        }
    }

    @Test("a jump map gains a fifth shard under a stale client: the moved keys go to it, nothing misrouted", .timeLimit(.minutes(3)))
    func jumpGainsAShard() async throws {
        let scratch = try ScratchDirectory()
        let servers = try scratch.write("servers.yaml", Self.jumpMap(scratch, epoch: 1, count: 4))
        let client = try scratch.write("client.yaml", Self.jumpMap(scratch, epoch: 1, count: 4))
        var processes: [ChildProcess] = []
        for index in 0..<4 {
            processes.append(try await Self.serve(servers, shard: "j\(index)"))
        }
        defer { for server in processes where server.isRunning { server.signal(SIGKILL) } }
        let keys = 40
        let load = try Self.load(client, requests: 6000, keys: keys)
        defer { if load.isRunning { load.signal(SIGKILL) } }
        try await Self.waitForProgress(config: servers, shards: (0..<4).map { "j\($0)" })

        try scratch.write("servers.yaml", Self.jumpMap(scratch, epoch: 2, count: 5))
        processes.append(try await Self.serve(servers, shard: "j4"))
        for server in processes.prefix(4) {
            #expect(await Self.reload(server, toEpoch: 2), "\(server.stderr)")
        }
        try scratch.write("client.yaml", Self.jumpMap(scratch, epoch: 2, count: 5))

        let summary = try await Self.summary(load)
        let succeeded = try #require(summary["succeeded"] as? Int)
        let failed = try #require(summary["failed"] as? Int)
        #expect(summary["lost"] as? Int == 0, "\(summary)")
        // A moved answer naming j4 before the client's file lists it is a typed error, never a guess.
        let errors = summary["errors"] as? [String: Any] ?? [:]
        #expect(errors.keys.allSatisfy { $0.contains("redirect") }, "\(summary)")
        var applied = 0
        for number in 0..<keys {
            for index in 0..<5 {
                applied += try await Self.value("key-\(number)", config: servers, shard: "j\(index)")
            }
        }
        #expect(applied == succeeded, "\(applied) INCRs applied, \(succeeded) succeeded, \(failed) failed")
        var statistics: [[String: Any]] = []
        for server in processes {
            statistics.append(try await Self.stop(server))
        }
        #expect(statistics.allSatisfy { $0["misrouted_writes"] as? Int == 0 }, "\(statistics)")
        #expect((statistics[4]["handler_executions"] as? Int ?? 0) > 0, "j4 ran nothing: \(statistics[4])")
    }
}
