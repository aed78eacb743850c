import Foundation
import Testing

/// CURVE with an allow-list, end to end: `corsair keygen`, `corsair serve` with the server's secret
/// key and the allowed client keys, and `corsair request` as allowed, unknown and plaintext clients.
@Suite("CURVE security (end to end)")
struct SecurityTests {
    @Test("only an allowed client key gets through; others fail fast with an authentication error")
    func allowListEndToEnd() async throws {
        let scratch = try ScratchDirectory()
        let serverKeys = try await ChildProcess.run("corsair", ["keygen", "--out", scratch.file("server")])
        try #require(serverKeys.status == 0, "\(serverKeys.stderr)")
        let serverPublic = try #require(serverKeys.stdout.split(separator: "\n").first?.split(separator: " ").last.map(String.init))
        let clientKeys = try await ChildProcess.run("corsair", ["keygen", "--out", scratch.file("client")])
        try #require(clientKeys.status == 0, "\(clientKeys.stderr)")
        let allowList = "# the one client allowed\n" + (try String(contentsOfFile: scratch.file("client.pub"), encoding: .utf8))
        try scratch.write("allowed.txt", allowList)

        let endpoint = scratch.ipc("secure")
        let server = try ChildProcess(
            "corsair",
            [
                "serve", "--bind", endpoint, "--handler", "kv", "--statistics-on-exit",
                "--curve-secret-key-file", scratch.file("server.key"),
                "--allow-client-keys-file", scratch.file("allowed.txt"),
            ]
        )
        defer { if server.isRunning { server.signal(SIGKILL) } }
        try #require(await server.waitForLine(prefix: "listening ") != nil, "\(server.stderr)")

        // Allowed: served.
        let allowed = try await ChildProcess.run(
            "corsair",
            ["request", "--endpoint", endpoint, "--server-public-key", serverPublic, "--client-key-file", scratch.file("client"), "INCR hits"]
        )
        // The key is in the message: one key in 85 begins with "-", which the request command once
        // took for an option (exit 64).
        #expect(allowed.status == 0, "\(allowed.stderr) server public key: '\(serverPublic)', keygen said: \(serverKeys.stdout)")
        #expect(allowed.stdout == "1\n")

        // An unknown key (a fresh keypair) and a plaintext client: refused in the handshake, and told
        // so well before one attempt's timeout would have run out (a timeout would also read
        // "abandoned after …", not "authentication failed").
        let timeout = "20s"
        let verdicts = [
            "unknown key": "error: authentication failed with \(endpoint): the server refused this client's key; pass --client-key-file with a keypair on the server's allow-list",
            "plaintext": "error: authentication failed with \(endpoint): the server requires CURVE; pass --server-public-key",
        ]
        for (name, extra) in [("unknown key", ["--server-public-key", serverPublic]), ("plaintext", [])] {
            let start = ContinuousClock.now
            let refused = try await ChildProcess.run(
                "corsair",
                ["request", "--endpoint", endpoint, "--timeout", timeout, "--attempts", "2"] + extra + ["INCR hits"]
            )
            let elapsed = start.duration(to: .now)
            #expect(refused.status == 1, "\(name): \(refused.stderr)")
            // The last line is the typed error with its hint; a log line may come before it.
            let verdict = refused.stderr.split(separator: "\n").last.map(String.init) ?? ""
            #expect(verdict == verdicts[name], "\(name): \(refused.stderr)")
            #expect(refused.stdout.isEmpty, "\(name)")
            #expect(elapsed < .seconds(15), "\(name) took \(elapsed): a timeout, not an authentication error")
        }

        // Nothing got through: the counter moved once, and the handler ran for the allowed client only.
        let check = try await ChildProcess.run(
            "corsair",
            ["request", "--endpoint", endpoint, "--server-public-key", serverPublic, "--client-key-file", scratch.file("client"), "GET hits"]
        )
        #expect(check.stdout == "1\n", "\(check.stderr)")
        server.signal(SIGTERM)
        #expect(await server.waitForExit(timeout: .seconds(10)) == 0, "\(server.stderr)")
        let statistics = try #require(JSONObject(lastLineOf: server.stdout, prefix: "statistics "), "\(server.stdout)")
        #expect(statistics.int("handler_executions") == 2, "\(statistics.fields)")
        #expect((statistics.int("authentication_refusals") ?? 0) >= 1, "\(statistics.fields)")
    }

    @Test("a secret key file readable by others is refused with a clear error")
    func looseSecretKeyFileRefused() async throws {
        let scratch = try ScratchDirectory()
        let keys = try await ChildProcess.run("corsair", ["keygen", "--out", scratch.file("server")])
        try #require(keys.status == 0, "\(keys.stderr)")
        #expect(chmod(scratch.file("server.key"), 0o644) == 0)
        let result = try await ChildProcess.run(
            "corsair",
            ["serve", "--bind", scratch.ipc("loose"), "--curve-secret-key-file", scratch.file("server.key")],
            timeout: .seconds(20)
        )
        #expect(result.status != 0 && result.status != nil)
        #expect(result.stderr.contains("chmod 600"), "\(result.stderr)")
        #expect(result.stderr.contains("server.key"), "\(result.stderr)")
        #expect(!result.stdout.contains("listening"), "\(result.stdout)")

        // The client side reads its key file with the same check.
        let client = try await ChildProcess.run(
            "corsair",
            ["request", "--endpoint", scratch.ipc("loose"), "--server-public-key", String(repeating: "0", count: 40), "--client-key-file", scratch.file("server"), "x"]
        )
        #expect(client.status == 2, "\(client.stderr)")
        #expect(client.stderr.contains("chmod 600"), "\(client.stderr)")
    }
}
