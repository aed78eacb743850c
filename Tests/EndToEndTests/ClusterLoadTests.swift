import Foundation
import Testing
import ZeroMQ

/// `corsair serve --config --shard` for every shard of a map, driven by `corsair load`, as processes.
@Suite("corsair serve --config and corsair load (end to end)")
struct ClusterLoadTests {
    /// A three-shard map on ipc endpoints in a fresh folder, so parallel tests never share a port.
    private static func makeCluster(retry: String) throws -> (folder: URL, config: String, ids: [String]) {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("corsair-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ids = ["s0", "s1", "s2"]
        let slots = ["0-5460", "5461-10922", "10923-16383"]
        var text = """
            cluster: e2e
            epoch: 1
            routing:
              strategy: slots
              slots: 16384
              hash: crc16
              hash_tag: true
            shards:

            """
        for (id, range) in zip(ids, slots) {
            text += "  - id: \(id)\n    endpoint: ipc://\(folder.path)/\(id).sock\n    slots: [\"\(range)\"]\n"
        }
        text += retry
        let config = folder.appendingPathComponent("cluster.yaml").path
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        return (folder, config, ids)
    }

    private static let fastRetry = """
        retry:
          attempt_timeout: 300ms
          attempts: 10
          deadline: 8s
          backoff:
            initial: 20ms
            max: 200ms
          budget:
            ratio: 1
            min_per_second: 500
          circuit_breaker:
            failures: 100
            open_for: 250ms
        server:
          drain_timeout: 1s

        """

    private static func serve(_ config: String, shard: String) async throws -> ChildProcess {
        let server = try ChildProcess("corsair", ["serve", "--config", config, "--shard", shard])
        let listening = await server.waitForLine(prefix: "listening ")
        try #require(listening != nil, "shard \(shard) did not start: \(server.stderr)")
        return server
    }

    @Test("load keeps its books while a shard is killed and restarted", .timeLimit(.minutes(2)))
    func loadAcrossKill() async throws {
        let cluster = try Self.makeCluster(retry: Self.fastRetry)
        defer { try? FileManager.default.removeItem(at: cluster.folder) }
        var servers: [String: ChildProcess] = [:]
        for id in cluster.ids {
            servers[id] = try await Self.serve(cluster.config, shard: id)
        }
        let requests = 8000
        let load = try ChildProcess(
            "corsair",
            ["load", "--config", cluster.config, "--requests", "\(requests)", "--concurrency", "16", "--keys", "30", "--json"]
        )
        // Let the load get going, then kill s1 without warning and bring it back on the same endpoint.
        try await Task.sleep(for: .milliseconds(400))
        let killedDuringLoad = load.isRunning
        servers["s1"]?.signal(SIGKILL)
        _ = await servers["s1"]?.waitForExit(timeout: .seconds(5))
        try await Task.sleep(for: .milliseconds(500))
        servers["s1"] = try await Self.serve(cluster.config, shard: "s1")

        let status = await load.waitForExit(timeout: .seconds(90))
        if status == nil { load.signal(SIGKILL) }
        #expect(status == 0, "\(load.stderr)")
        let line = try #require(load.stdout.split(separator: "\n").last.map(String.init), "no output: \(load.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        let object = try #require(parsed, "not a JSON object: \(line)")
        let sent = try #require(object["sent"] as? Int)
        let succeeded = try #require(object["succeeded"] as? Int)
        let failed = try #require(object["failed"] as? Int)
        #expect(sent == requests)
        #expect(succeeded + failed == sent, "\(line)")
        #expect(object["lost"] as? Int == 0, "\(line)")
        #expect(object["errors"] is [String: Any], "\(line)")
        for field in ["retries", "p50_ms", "p99_ms", "p999_ms", "throughput_rps"] {
            #expect(object[field] != nil, "\(field) missing: \(line)")
        }
        // Per shard: every shard's counts, adding up to the run's.
        let shards = try #require(object["shards"] as? [String: [String: Any]], "\(line)")
        #expect(Set(shards.keys) == Set(cluster.ids), "\(line)")
        #expect(shards.values.map { $0["sent"] as? Int ?? 0 }.reduce(0, +) == sent, "\(line)")
        #expect(shards.values.map { $0["succeeded"] as? Int ?? 0 }.reduce(0, +) == succeeded, "\(line)")
        let byAttempt = try #require(object["succeeded_by_attempt"] as? [Int], "\(line)")
        #expect(byAttempt.count == 10, "one count per attempt of the policy: \(line)")
        #expect(byAttempt.reduce(0, +) == succeeded, "\(line)")
        if killedDuringLoad {
            // The requests in flight to s1 when it died were retried.
            #expect((object["retries"] as? Int ?? 0) > 0, "\(line)")
        }

        for server in servers.values {
            server.signal(SIGTERM)
            #expect(await server.waitForExit(timeout: .seconds(10)) == 0, "\(server.stderr)")
        }
    }

    @Test("serve --config says what is wrong in one line", .timeLimit(.minutes(1)))
    func serveErrors() async throws {
        let cluster = try Self.makeCluster(retry: "")
        defer { try? FileManager.default.removeItem(at: cluster.folder) }

        let missing = try await ChildProcess.run("corsair", ["serve", "--config", cluster.folder.appendingPathComponent("nope.yaml").path, "--shard", "s0"])
        #expect(missing.status == 1)
        #expect(Self.isOneErrorLine(missing.stderr), "\(missing.stderr)")

        let unknown = try await ChildProcess.run("corsair", ["serve", "--config", cluster.config, "--shard", "s9"])
        #expect(unknown.status == 1)
        #expect(Self.isOneErrorLine(unknown.stderr), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("s9"))

        // A port held by a socket of our own: serve must say so in one line and exit 1.
        let context = try Context()
        let holder = try Socket(context, .rep)
        try holder.bind("tcp://127.0.0.1:*")
        let taken = try holder.lastEndpoint
        let tcpConfig = cluster.folder.appendingPathComponent("tcp.yaml").path
        let text = try String(contentsOfFile: cluster.config, encoding: .utf8)
            .replacingOccurrences(of: "ipc://\(cluster.folder.path)/s0.sock", with: taken)
        try text.write(toFile: tcpConfig, atomically: true, encoding: .utf8)
        let inUse = try await ChildProcess.run("corsair", ["serve", "--config", tcpConfig, "--shard", "s0"], timeout: .seconds(20))
        holder.close()
        #expect(inUse.status == 1)
        #expect(Self.isOneErrorLine(inUse.stderr), "\(inUse.stderr)")
        #expect(inUse.stderr.contains(taken), "\(inUse.stderr)")

        let load = try await ChildProcess.run("corsair", ["load", "--config", "/nonexistent/cluster.yaml", "--requests", "1", "--concurrency", "1"])
        #expect(load.status == 2)
        #expect(Self.isOneErrorLine(load.stderr), "\(load.stderr)")
    }

    @Test("load with no servers stops soon after the first requests' deadline: exit 1, null latencies", .timeLimit(.minutes(1)))
    func loadWithoutServers() async throws {
        let cluster = try Self.makeCluster(retry: """
            retry:
              attempt_timeout: 400ms
              attempts: 3
              deadline: 2s

            """)
        defer { try? FileManager.default.removeItem(at: cluster.folder) }
        let start = ContinuousClock.now
        let load = try await ChildProcess.run("corsair", ["load", "--config", cluster.config, "--requests", "100000", "--json"])
        let elapsed = start.duration(to: .now)
        #expect(load.status == 1)
        // The first requests end by their 2 s deadline and the run stops there (about 1 s on a quiet
        // machine); without the early stop, 100,000 requests of 2 s each at 16 in flight would take
        // over three hours. The bound leaves room for process start-up on a loaded 2-core machine.
        #expect(elapsed < .seconds(2 + 18), "took \(elapsed)")
        #expect(Self.isOneErrorLine(load.stderr), "\(load.stderr)")
        #expect(load.stderr.hasPrefix("error: no shard answered (s"), "\(load.stderr)")
        #expect(load.stderr.hasSuffix("; is the cluster running?\n"), "\(load.stderr)")
        let report = try #require(JSONObject(lastLineOf: load.stdout), "\(load.stdout)")
        #expect(report.int("succeeded") == 0, "\(report.fields)")
        #expect(report.int("lost") == 0, "\(report.fields)")
        #expect(report.fields["stopped"] as? String == "no_answer", "\(report.fields)")
        for field in ["p50_ms", "p99_ms", "p999_ms", "max_ms"] {
            #expect(report.fields[field] is NSNull, "\(field) should be null: \(report.fields)")
        }
    }

    @Test("load --endpoint --raw drives a plain REP peer; --rate paces an open-loop run; overrides apply", .timeLimit(.minutes(1)))
    func loadOneRawPeer() async throws {
        let context = try Context()
        let peer = try PlainReplyPeer(context: context)
        defer { peer.stop() }
        let closed = try await ChildProcess.run(
            "corsair",
            ["load", "--endpoint", peer.endpoint, "--raw", "--requests", "300", "--concurrency", "4", "--attempts", "5", "--json"]
        )
        #expect(closed.status == 0, "\(closed.stderr)")
        let report = try #require(JSONObject(lastLineOf: closed.stdout), "\(closed.stdout)")
        #expect(report.int("succeeded") == 300, "\(report.fields)")
        let byAttempt = try #require(report.fields["succeeded_by_attempt"] as? [Int], "\(report.fields)")
        #expect(byAttempt.count == 5 && byAttempt.reduce(0, +) == 300, "\(report.fields)")

        let open = try await ChildProcess.run(
            "corsair",
            ["load", "--endpoint", peer.endpoint, "--raw", "--duration", "1s", "--rate", "200"]
        )
        #expect(open.status == 0, "\(open.stderr)")
        // 200 per second for one second: requests due at 0, 5 ms, … 995 ms.
        #expect(open.stdout.contains("sent: 200\n"), "\(open.stdout)")
        #expect(open.stdout.contains("succeeded: 200\n"), "\(open.stdout)")
        #expect(open.stdout.contains("(from each request's intended send time)"), "\(open.stdout)")
        #expect(open.stdout.contains("shard \(peer.endpoint): sent 200, succeeded 200, failed 0, latency p50 "), "\(open.stdout)")
    }

    @Test("load's retry overrides reach the engine: attempts, attempt timeout, mode", .timeLimit(.minutes(1)))
    func retryOverrides() async throws {
        let context = try Context()
        // Takes requests and never answers.
        let silent = try Socket(context, .router)
        try silent.bind("tcp://127.0.0.1:*")
        let endpoint = try silent.lastEndpoint
        for (mode, reconnects) in [("recreate", 1), ("resend", 0)] {
            let load = try await ChildProcess.run(
                "corsair",
                [
                    "load", "--endpoint", endpoint, "--requests", "1", "--concurrency", "1",
                    "--attempts", "2", "--attempt-timeout", "200ms", "--jitter", "none", "--mode", mode, "--json",
                ]
            )
            #expect(load.status == 1, "\(mode): \(load.stderr)")
            #expect(
                load.stderr == "error: no shard answered (\(endpoint): abandoned after 2 attempts: no reply within 200ms); is the server running?\n",
                "\(mode): \(load.stderr)"
            )
            let report = try #require(JSONObject(lastLineOf: load.stdout), "\(load.stdout)")
            #expect(report.int("retries") == 1, "\(mode): \(report.fields)")
            #expect(report.int("reconnects") == reconnects, "\(mode): \(report.fields)")
            #expect(report.object("errors")?.int("abandoned") == 1, "\(mode): \(report.fields)")
            #expect(report.fields["succeeded_by_attempt"] as? [Int] == [0, 0], "\(mode): \(report.fields)")
        }
        silent.close()
    }

    /// The only stderr line that is not a log line is one `error: ...` line.
    private static func isOneErrorLine(_ stderr: String) -> Bool {
        let errors = stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        return errors.count == 1 && !stderr.contains("Fatal error") && !stderr.contains("Stack dump")
    }
}
