import Foundation
import Synchronization
import Testing
import ZeroMQ

/// `corsair request --raw` against plain REQ/REP peers, as separate processes.
@Suite("corsair request (end to end)")
struct RequestCommandTests {
    @Test("--raw works against a plain REP echo peer")
    func rawAgainstEchoPeer() async throws {
        let peer = try ChildProcess("ZMQBaseline", ["echo-server", "--bind", "tcp://127.0.0.1:*"])
        let listening = try #require(await peer.waitForLine(prefix: "listening "))
        let endpoint = String(listening.dropFirst("listening ".count))
        let result = try await ChildProcess.run("corsair", ["request", "--endpoint", endpoint, "--raw", "hello there"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "hello there\n")
        peer.signal(SIGTERM)
        #expect(await peer.waitForExit(timeout: .seconds(5)) == 0)
    }

    @Test("gives up on a hung peer in about attempts × timeout")
    func givesUpOnHungPeer() async throws {
        let context = try Context()
        let hung = try Socket(context, .rep)
        try hung.bind("tcp://127.0.0.1:*")
        let endpoint = try hung.lastEndpoint
        let start = ContinuousClock.now
        let result = try await ChildProcess.run(
            "corsair",
            ["request", "--endpoint", endpoint, "--raw", "--timeout", "300ms", "--attempts", "3", "ping"]
        )
        let elapsed = start.duration(to: .now)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: abandoned after 3 attempts: no reply within 300ms"), "\(result.stderr)")
        // The line above proves the attempts and the timeout used; the lower bound proves the three
        // timeouts were waited out, and the upper one only catches a hang (a process start-up on a
        // loaded 2-core machine took over 6 s once).
        #expect(elapsed >= .milliseconds(900))
        #expect(elapsed < .seconds(30))
    }

    @Test("a server public key or routing key that begins with a dash is read as the option's value")
    func dashLeadingValues() async throws {
        // "-" is a Z85 character: one generated key in 85 begins with it, and the parser once took
        // such a key for an option and failed with a usage error (then exit 64, now 2).
        let key = "-" + String(repeating: "0", count: 39)
        #expect(CurveKey(z85: key) != nil)
        let context = try Context()
        let hung = try Socket(context, .router)
        try hung.bind("tcp://127.0.0.1:*")
        let result = try await ChildProcess.run(
            "corsair",
            ["request", "--endpoint", try hung.lastEndpoint, "--server-public-key", key, "--attempts", "1", "--timeout", "100ms", "x"]
        )
        // Past the arguments: the request itself runs and fails (exit 1, not a usage error's 2),
        // abandoned or refused in the handshake by the plain-text peer, whichever comes first.
        #expect(result.status == 1, "\(result.stderr)")
        let mismatch = "error: authentication failed with \(try hung.lastEndpoint): the server does not use CURVE; leave out --server-public-key"
        #expect(
            result.stderr.hasPrefix("error: abandoned after 1 attempt") || result.stderr.hasPrefix(mismatch),
            "\(result.stderr)"
        )

        let config = try ScratchDirectory()
        try config.write("one.yaml", """
            cluster: dash
            epoch: 1
            routing: {strategy: slots, slots: 16384, hash: crc16}
            shards:
              - id: s0
                endpoint: \(try hung.lastEndpoint)
                slots: ["0-16383"]
            """)
        let routed = try await ChildProcess.run(
            "corsair",
            ["request", "--config", config.file("one.yaml"), "--key", "-42", "--attempts", "1", "--timeout", "100ms", "x"]
        )
        #expect(routed.status == 1, "\(routed.stderr)")
        #expect(routed.stderr.hasPrefix("error: abandoned after 1 attempt"), "\(routed.stderr)")
    }

    @Test("recovers when the peer binds only after the first attempt")
    func recoversWhenPeerBindsLate() async throws {
        let endpoint = "ipc://\(NSTemporaryDirectory())corsair-e2e-\(UUID().uuidString.prefix(8))"
        let request = try ChildProcess(
            "corsair",
            ["request", "--endpoint", endpoint, "--raw", "--timeout", "300ms", "--attempts", "200", "--deadline", "90s", "--verbose", "late"]
        )
        #expect(await request.waitForLine(prefix: "attempt 1 timed out", inStderr: true) != nil)
        let peer = try ChildProcess("ZMQBaseline", ["echo-server", "--bind", endpoint])
        // Up to 200 attempts of 300 ms: time for the peer to start however loaded the machine is
        // (10 attempts were once used up before it bound).
        #expect(await request.waitForExit(timeout: .seconds(90)) == 0, "\(request.stderr)")
        #expect(request.stdout == "late\n")
        peer.signal(SIGTERM)
        _ = await peer.waitForExit(timeout: .seconds(5))
    }

    @Test("--version names the libzmq it runs on")
    func version() async throws {
        let result = try await ChildProcess.run("corsair", ["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("corsair "))
        #expect(result.stdout.contains("libzmq 4."))
    }
}
