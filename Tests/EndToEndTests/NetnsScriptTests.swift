import Foundation
import Testing

extension ResourceHeavy {
    /// Scripts/netns-test.sh in the suite: each shard server in a network namespace of its own, one
    /// link cut and restored under load. The script skips (exit 0, "SKIPPED") where namespaces cannot
    /// be made, as when not root; set CORSAIR_NETNS=0 to leave it out.
    @Suite("Chaos across network namespaces (end to end)")
    struct NetnsScriptTests {
        static let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Scripts/netns-test.sh")

        @Test(
            "a link cut mid-run and restored: every request succeeds, counters add up exactly",
            .enabled(if: ProcessInfo.processInfo.environment["CORSAIR_NETNS"] != "0")
        )
        func linkCut() async throws {
            let corsair = ChildProcess.productsDirectory.appendingPathComponent("corsair").path
            let run = try ChildProcess(
                executable: URL(fileURLWithPath: "/bin/bash"),
                [Self.script.path],
                environment: ["CORSAIR": corsair]
            )
            let status = await run.waitForExit(timeout: .seconds(90))
            if status == nil { run.signal(SIGTERM) }
            #expect(status == 0, "\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("netns-test: PASSED") || run.stdout.contains("netns-test: SKIPPED"), "\(run.stdout)")
            print(run.stdout.split(separator: "\n").suffix(4).joined(separator: "\n"))
        }
    }
}
