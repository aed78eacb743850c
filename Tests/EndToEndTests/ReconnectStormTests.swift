import Foundation
import Testing

extension ResourceHeavy {
    /// Resource hygiene of the Lazy Pirate engine, measured in a process of its own so that other
    /// tests running in parallel cannot move the descriptor count or the resident memory.
    @Suite("Reconnect storm (end to end)")
    struct ReconnectStormTests {
        struct Report: Decodable {
            let reconnects: Int
            let attempts: Int
            let fds_before: Int
            let fds_after: Int
            let rss_before_kib: Int
            let rss_after_kib: Int
            let seconds: Double
        }

        @Test("file descriptors and memory return to baseline after 10,000 forced reconnects")
        func resourcesReturnToBaseline() async throws {
            let result = try await ChildProcess.run("corsair", ["reconnect-storm", "--reconnects", "10000", "--warm-up", "2000"], timeout: .seconds(120))
            #expect(result.status == 0, "\(result.stderr)")
            let report = try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
            #expect(report.reconnects == 10000)
            #expect(report.fds_after <= report.fds_before, "before \(report.fds_before), after \(report.fds_after)")
            // Memory (read after malloc_trim, so it is memory in use, and with a warm-up storm in the
            // baseline): within 5% of the baseline, or 1 MiB; a leak of 100 bytes per reconnect shows.
            let allowance = max(report.rss_before_kib / 20, 1024)
            #expect(
                report.rss_after_kib <= report.rss_before_kib + allowance,
                "RSS before \(report.rss_before_kib) KiB, after \(report.rss_after_kib) KiB"
            )
            print("reconnect storm: \(result.stdout)")
        }
    }
}
