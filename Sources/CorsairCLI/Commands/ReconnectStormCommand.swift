import ArgumentParser
import Foundation

/// `corsair reconnect-storm`: forces timeout-and-reconnect cycles and prints the process's
/// descriptors and memory before and after, as JSON. Used by tests and benchmarks.
struct ReconnectStormCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconnect-storm",
        abstract: "Force timeout-and-reconnect cycles and report descriptors and memory before and after.",
        shouldDisplay: false
    )

    @Option(help: "How many forced reconnects.")
    var reconnects = 5000

    @Option(help: "Requests in flight at once.")
    var concurrency = 100

    @Flag(inversion: .prefixedNo, help: "Watch each socket's handshake, as the engine does by default.")
    var monitor = true

    @Option(name: .customLong("warm-up"), help: "Reconnects forced before the baseline is taken, so it includes the storm's peak working set.")
    var warmUp = 0

    func run() async throws {
        let report = try await ReconnectStorm.run(
            reconnects: self.reconnects,
            concurrency: self.concurrency,
            detectHandshakeFailures: self.monitor,
            warmUp: self.warmUp
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}
