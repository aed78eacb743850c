import Foundation
import Testing

/// Resource hygiene of the Lazy Pirate engine, measured in a process of its own so that other
/// tests running in parallel cannot move the descriptor count.
@Suite("Reconnect storm (end to end)")
struct ReconnectStormTests {
    struct Report: Decodable {
        let reconnects: Int
        let attempts: Int
        let fds_before: Int
        let fds_after: Int
    }

    @Test("file descriptors return to baseline after 5,000 forced reconnects")
    func descriptorsReturnToBaseline() async throws {
        let result = try await ChildProcess.run("corsair", ["reconnect-storm", "--reconnects", "5000"], timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
        #expect(report.reconnects == 5000)
        #expect(report.fds_after <= report.fds_before, "before \(report.fds_before), after \(report.fds_after)")
    }
}
