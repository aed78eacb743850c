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
        #expect(result.stderr.hasPrefix("abandoned after 3 attempts: "), "\(result.stderr)")
        // 3 × 300 ms, plus up to 150 ms of backoff, plus process start-up on a busy machine.
        #expect(elapsed >= .milliseconds(900))
        #expect(elapsed < .milliseconds(900 + 6000))
    }

    @Test("recovers when the peer binds only after the first attempt")
    func recoversWhenPeerBindsLate() async throws {
        let endpoint = "ipc://\(NSTemporaryDirectory())corsair-e2e-\(UUID().uuidString.prefix(8))"
        let request = try ChildProcess(
            "corsair",
            ["request", "--endpoint", endpoint, "--raw", "--timeout", "300ms", "--attempts", "10", "--verbose", "late"]
        )
        #expect(await request.waitForLine(prefix: "attempt 1 timed out", inStderr: true) != nil)
        let peer = try ChildProcess("ZMQBaseline", ["echo-server", "--bind", endpoint])
        #expect(await request.waitForExit(timeout: .seconds(20)) == 0, "\(request.stderr)")
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
