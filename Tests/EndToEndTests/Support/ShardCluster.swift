import Foundation
import Testing
import Synchronization

/// A three-shard cluster of `corsair serve --config F --shard ID` processes on ipc endpoints in a
/// scratch directory, for the chaos tests.
final class ShardCluster: Sendable {
    static let shardIDs = ["s0", "s1", "s2"]

    let scratch: ScratchDirectory
    let configPath: String
    private let servers = ManagedServers()

    /// Writes the config with `retry` as its retry section (YAML, indented two spaces).
    init(retry: String) throws {
        let scratch = try ScratchDirectory()
        self.scratch = scratch
        let ranges = ["0-5460", "5461-10922", "10923-16383"]
        var text = """
            cluster: chaos
            epoch: 1
            routing: {strategy: slots, slots: 16384, hash: crc16, hash_tag: true}
            shards:

            """
        for (id, range) in zip(Self.shardIDs, ranges) {
            text += "  - {id: \(id), endpoint: \"\(scratch.ipc(id))\", slots: [\"\(range)\"]}\n"
        }
        text += "retry:\n\(retry)\n"
        self.configPath = try scratch.write("cluster.yaml", text)
    }

    deinit {
        self.servers.killAll()
    }

    /// Starts (or restarts) one shard's server and waits until it listens.
    @discardableResult
    func start(_ id: String) async throws -> ChildProcess {
        let server = try ChildProcess(
            "corsair",
            ["serve", "--config", self.configPath, "--shard", id, "--handler", "kv"],
            environment: ["CORSAIR_LOG_LEVEL": "warning"]
        )
        self.servers.set(id, server)
        try #require(await server.waitForLine(prefix: "listening ") != nil, "shard \(id) did not start: \(server.stderr)")
        return server
    }

    func startAll() async throws {
        for id in Self.shardIDs {
            try await self.start(id)
        }
    }

    func server(_ id: String) -> ChildProcess? {
        self.servers.get(id)
    }

    /// Runs `corsair load` in the background with `--op incr --json`.
    func load(requests: Int, concurrency: Int, keys: Int, extraArguments: [String] = []) throws -> ChildProcess {
        try ChildProcess(
            "corsair",
            [
                "load", "--config", self.configPath, "--requests", "\(requests)", "--concurrency", "\(concurrency)",
                "--keys", "\(keys)", "--op", "incr", "--json",
            ] + extraArguments,
            environment: ["CORSAIR_LOG_LEVEL": "error"]
        )
    }

    /// The value of `key` read with `corsair request --config F --key K "GET K"`; 0 when unset.
    func value(of key: String) async throws -> Int? {
        let result = try await ChildProcess.run(
            "corsair",
            ["request", "--config", self.configPath, "--key", key, "--timeout", "2s", "--attempts", "3", "GET \(key)"]
        )
        guard result.status == 0 else { return nil }
        let text = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? 0 : Int(text)
    }

    /// The shard that owns each key, from `corsair shards lookup`.
    func owners(of keys: [String]) async throws -> [String: String] {
        let result = try await ChildProcess.run("corsair", ["shards", "lookup", self.configPath] + keys)
        try #require(result.status == 0, "\(result.stderr)")
        var owners: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            // key slot=N shard endpoint
            let fields = line.split(separator: " ")
            if fields.count >= 4 {
                owners[String(fields[0])] = String(fields[2])
            }
        }
        return owners
    }

    /// Waits until `corsair load` has made progress: some key has a value.
    func waitUntilLoadRuns(key: String = "key-0", timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let value = try await self.value(of: key), value > 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("corsair load made no progress within \(timeout)")
    }

    func stopAll() async {
        for id in Self.shardIDs {
            guard let server = self.servers.get(id), server.isRunning else { continue }
            server.signal(SIGCONT)
            server.signal(SIGTERM)
            if await server.waitForExit(timeout: .seconds(10)) == nil {
                server.signal(SIGKILL)
            }
        }
    }
}

/// The cluster's server processes by shard id, behind a lock so the cluster stays Sendable.
private final class ManagedServers: Sendable {
    private let table = Mutex<[String: ChildProcess]>([:])

    func set(_ id: String, _ server: ChildProcess) {
        self.table.withLock { $0[id] = server }
    }

    func get(_ id: String) -> ChildProcess? {
        self.table.withLock { $0[id] }
    }

    func killAll() {
        for server in self.table.withLock({ Array($0.values) }) where server.isRunning {
            server.signal(SIGCONT)
            server.signal(SIGKILL)
        }
    }
}
