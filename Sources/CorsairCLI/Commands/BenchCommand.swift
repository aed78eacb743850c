import ArgumentParser
import Foundation
import Logging

/// `corsair bench`: Corsair measured against raw libzmq in one run; see BENCHMARKS.md.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Corsair against raw libzmq: latency, fan-in (rate and CPU per request per side), cluster, reconnects, lookups, resources.",
        discussion: "Needs the ZMQBaseline program next to this one (swift build -c release --product ZMQBaseline). Measure release builds."
    )

    @Flag(help: "Fewer rounds and requests: done within a minute.")
    var quick = false

    @Flag(help: "Tiny counts, to check that every part runs (the test suite's mode); the figures mean little.")
    var smoke = false

    @Flag(help: "Print one JSON object instead of tables.")
    var json = false

    func run() async throws {
        LoggingSystem.bootstrapForCommandLine(level: .warning)
        let settings: BenchSettings = self.smoke ? .smoke : self.quick ? .quick : .full
        let mode = self.smoke ? "smoke" : self.quick ? "quick" : "full"
        let report = try await Benchmark(settings: settings, mode: mode) { StandardStreams.error("bench: \($0)") }.run()
        if self.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(BenchTable.render(report))
        }
    }
}
