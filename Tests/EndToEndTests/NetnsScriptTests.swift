import Foundation
import Testing

extension ResourceHeavy {
    /// Scripts/netns-test.sh in the suite: each shard server in a network namespace of its own, one
    /// link cut and restored under load. Where namespaces cannot be made, as when not root, the script
    /// says "SKIPPED" and exits 77, and the test is reported skipped with the script's reason; set
    /// CORSAIR_NETNS=0 to leave it out.
    @Suite("Chaos across network namespaces (end to end)", .serialized)
    struct NetnsScriptTests {
        static let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Scripts/netns-test.sh")
        /// The script's exit status for "cannot run here".
        static let skipped: Int32 = 77

        /// The script's settings per mode: pipelined with heartbeats on and an attempt timeout far
        /// longer than the cut, so that only the heartbeats can find the cut connection dead early.
        static let modes: [String: [String: String]] = [
            "recreate": ["MODE": "recreate"],
            "pipelined": ["MODE": "pipelined", "ATTEMPT_TIMEOUT": "5s", "HEARTBEAT_INTERVAL": "100ms"],
        ]

        @Test(
            "a link cut mid-run and restored: every request succeeds, counters add up exactly",
            .enabled(if: ProcessInfo.processInfo.environment["CORSAIR_NETNS"] != "0"),
            arguments: ["recreate", "pipelined"]
        )
        func linkCut(mode: String) async throws {
            let corsair = ChildProcess.productsDirectory.appendingPathComponent("corsair").path
            let run = try ChildProcess(
                executable: URL(fileURLWithPath: "/bin/bash"),
                [Self.script.path],
                environment: ["CORSAIR": corsair].merging(Self.modes[mode] ?? [:]) { $1 }
            )
            let status = await run.waitForExit(timeout: .seconds(90))
            if status == nil { run.signal(SIGTERM) }
            if status == Self.skipped {
                let reason = run.stdout.split(separator: "\n").first { $0.hasPrefix("netns-test: SKIPPED") }
                try Test.cancel(Comment(rawValue: String(reason ?? "netns-test: SKIPPED")))
            }
            #expect(status == 0, "\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("netns-test: PASSED"), "\(run.stdout)")
            print("netns (\(mode)):\n" + run.stdout.split(separator: "\n").suffix(4).joined(separator: "\n"))
        }
    }
}
