import Foundation
import Testing
import ZeroMQ

/// Every guessable mistake ends in one `error:` line with its hint and the exit status the help
/// states, checked line for line against the `corsair` binary.
@Suite("one error style with hints (end to end)")
struct ErrorStyleTests {
    /// The whole of stderr, which must be exactly one `error:` line.
    private static func errorLine(_ stderr: String) -> String? {
        let lines = stderr.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.count == 1, lines[0].hasPrefix("error: ") else { return nil }
        return String(lines[0])
    }

    @Test("an endpoint without its transport: did you mean tcp://…?")
    func endpointWithoutScheme() async throws {
        let result = try await ChildProcess.run("corsair", ["request", "--endpoint", "127.0.0.1:5601", "x"])
        #expect(result.status == 2)
        #expect(Self.errorLine(result.stderr) == "error: invalid endpoint '127.0.0.1:5601': no transport; did you mean tcp://127.0.0.1:5601?", "\(result.stderr)")

        let serve = try await ChildProcess.run("corsair", ["serve", "--bind", "127.0.0.1:0"], timeout: .seconds(20))
        #expect(serve.status == 1)
        #expect(Self.errorLine(serve.stderr)?.hasSuffix("; did you mean tcp://127.0.0.1:0?") == true, "\(serve.stderr)")
        #expect(!serve.stdout.contains("listening"))
    }

    @Test("a duration without a unit, and other usage errors: one line, exit 2")
    func durationWithoutUnit() async throws {
        let result = try await ChildProcess.run("corsair", ["request", "--endpoint", "tcp://127.0.0.1:5601", "--timeout", "5", "x"])
        #expect(result.status == 2)
        #expect(
            Self.errorLine(result.stderr) == "error: the value '5' is invalid for '--timeout <timeout>': durations need a unit: 5s, 500ms",
            "\(result.stderr)"
        )
        let load = try await ChildProcess.run("corsair", ["load", "--endpoint", "tcp://127.0.0.1:5601", "--attempt-timeout", "300", "--requests", "1"])
        #expect(load.status == 2)
        #expect(
            Self.errorLine(load.stderr) == "error: the value '300' is invalid for '--attempt-timeout <duration>': durations need a unit: 5s, 500ms",
            "\(load.stderr)"
        )
        let unknown = try await ChildProcess.run("corsair", ["request", "--endpoint", "tcp://127.0.0.1:5601", "--bogus", "x"])
        #expect(unknown.status == 2)
        #expect(Self.errorLine(unknown.stderr) == "error: unknown option '--bogus'", "\(unknown.stderr)")
        let missing = try await ChildProcess.run("corsair", ["request", "x"])
        #expect(missing.status == 2)
        #expect(Self.errorLine(missing.stderr) == "error: give exactly one of --endpoint and --config", "\(missing.stderr)")
    }

    @Test("CURVE on one side only: the server requires CURVE / does not use it; a wrong server key")
    func curveOnOneSide() async throws {
        let scratch = try ScratchDirectory()
        let keys = try await ChildProcess.run("corsair", ["keygen", "--out", scratch.file("server")])
        try #require(keys.status == 0, "\(keys.stderr)")
        let serverPublic = try String(contentsOfFile: scratch.file("server.pub"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

        let secure = scratch.ipc("secure")
        let curveServer = try ChildProcess("corsair", ["serve", "--bind", secure, "--curve-secret-key-file", scratch.file("server.key")])
        defer { if curveServer.isRunning { curveServer.signal(SIGKILL) } }
        try #require(await curveServer.waitForLine(prefix: "listening ") != nil, "\(curveServer.stderr)")
        let plaintext = try await ChildProcess.run("corsair", ["request", "--endpoint", secure, "--timeout", "20s", "x"])
        #expect(plaintext.status == 1)
        #expect(
            Self.errorLine(plaintext.stderr) == "error: authentication failed with \(secure): the server requires CURVE; pass --server-public-key",
            "\(plaintext.stderr)"
        )

        // A wrong server key looks, to a CURVE client, like a server without CURVE; a plain-text
        // handshake tells them apart.
        let impostor = try await ChildProcess.run("corsair", ["keygen"])
        let wrongKey = try #require(impostor.stdout.split(separator: "\n").first?.split(separator: " ").last.map(String.init))
        let wrong = try await ChildProcess.run("corsair", ["request", "--endpoint", secure, "--timeout", "20s", "--server-public-key", wrongKey, "x"])
        #expect(wrong.status == 1)
        #expect(
            Self.errorLine(wrong.stderr)
                == "error: authentication failed with \(secure): the CURVE handshake failed; check that --server-public-key is the server's public key",
            "\(wrong.stderr)"
        )

        let open = scratch.ipc("open")
        let plainServer = try ChildProcess("corsair", ["serve", "--bind", open])
        defer { if plainServer.isRunning { plainServer.signal(SIGKILL) } }
        try #require(await plainServer.waitForLine(prefix: "listening ") != nil, "\(plainServer.stderr)")
        let encrypted = try await ChildProcess.run(
            "corsair",
            ["request", "--endpoint", open, "--timeout", "20s", "--server-public-key", serverPublic, "x"]
        )
        #expect(encrypted.status == 1)
        #expect(
            Self.errorLine(encrypted.stderr) == "error: authentication failed with \(open): the server does not use CURVE; leave out --server-public-key",
            "\(encrypted.stderr)"
        )
        curveServer.signal(SIGTERM)
        plainServer.signal(SIGTERM)
        _ = await curveServer.waitForExit(timeout: .seconds(10))
        _ = await plainServer.waitForExit(timeout: .seconds(10))
    }

    @Test("a key file holding the wrong half: serve refuses the public key, request names the prefix")
    func wrongHalfOfThePair() async throws {
        let scratch = try ScratchDirectory()
        let keys = try await ChildProcess.run("corsair", ["keygen", "--out", scratch.file("server")])
        try #require(keys.status == 0, "\(keys.stderr)")
        // Even made private, the public key must not be taken for a secret one.
        #expect(chmod(scratch.file("server.pub"), 0o600) == 0)
        let serve = try await ChildProcess.run(
            "corsair",
            ["serve", "--bind", scratch.ipc("wrong"), "--curve-secret-key-file", scratch.file("server.pub")],
            timeout: .seconds(20)
        )
        #expect(serve.status == 1)
        #expect(!serve.stdout.contains("listening"), "\(serve.stdout)")
        let pub = scratch.file("server.pub")
        let key = scratch.file("server.key")
        #expect(
            Self.errorLine(serve.stderr)
                == "error: \(pub) holds the public key of the pair whose secret key is in \(key); --curve-secret-key-file takes the secret key: pass \(key)",
            "\(serve.stderr)"
        )

        let client = try await ChildProcess.run(
            "corsair",
            ["request", "--endpoint", scratch.ipc("wrong"), "--server-public-key", String(repeating: "0", count: 40), "--client-key-file", key, "x"]
        )
        #expect(client.status == 2)
        #expect(
            Self.errorLine(client.stderr)
                == "error: cannot open \(key).key: No such file or directory; --client-key-file takes the prefix given to keygen --out: did you mean --client-key-file \(scratch.file("server"))?",
            "\(client.stderr)"
        )
    }

    @Test("--client-key-file without --server-public-key is refused, not ignored")
    func clientKeyWithoutCurve() async throws {
        let result = try await ChildProcess.run("corsair", ["request", "--endpoint", "tcp://127.0.0.1:5601", "--client-key-file", "client", "x"])
        #expect(result.status == 2)
        #expect(
            Self.errorLine(result.stderr) == "error: --client-key-file needs --server-public-key: a client keypair is only used with CURVE",
            "\(result.stderr)"
        )
    }

    @Test("a Corsair request answered by a plain REP peer suggests --raw")
    func plainPeerSuggestsRaw() async throws {
        let context = try Context()
        let peer = try PlainReplyPeer(context: context)
        defer { peer.stop() }
        let result = try await ChildProcess.run("corsair", ["request", "--endpoint", peer.endpoint, "--timeout", "20s", "hello"])
        #expect(result.status == 1)
        #expect(
            Self.errorLine(result.stderr)
                == "error: protocol error from \(peer.endpoint): the reply has no Corsair header (a plain REQ/REP peer?); pass --raw to send and accept plain frames",
            "\(result.stderr)"
        )
        let raw = try await ChildProcess.run("corsair", ["request", "--endpoint", peer.endpoint, "--raw", "hello"])
        #expect(raw.status == 0, "\(raw.stderr)")
        #expect(raw.stdout == "world\n")
    }

    @Test("bench without ZMQBaseline beside it: one error line, exit 1")
    func benchWithoutBaseline() async throws {
        let scratch = try ScratchDirectory()
        let copy = scratch.file("corsair")
        try FileManager.default.copyItem(atPath: ChildProcess.productsDirectory.appendingPathComponent("corsair").path, toPath: copy)
        let bench = try ChildProcess(executable: URL(fileURLWithPath: copy), ["bench", "--smoke"])
        let status = await bench.waitForExit(timeout: .seconds(60))
        if status == nil { bench.signal(SIGKILL) }
        #expect(status == 1)
        // Progress lines ("bench: …") may come first; the failure is the one error line.
        let errors = bench.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(
            errors == ["error: ZMQBaseline not found at \(scratch.file("ZMQBaseline")); build it: swift build -c release --product ZMQBaseline"],
            "\(bench.stderr)"
        )
        #expect(!bench.stderr.contains("Error:"), "\(bench.stderr)")
    }
}
