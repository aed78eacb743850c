import ArgumentParser
import Foundation
import Logging
import Synchronization

extension LoggingSystem {
    private static let commandLineBootstrapped = Atomic<Bool>(false)

    /// Sends every log line to stderr, so stdout carries only a command's output.
    ///
    /// The level is `level` unless the environment's `CORSAIR_LOG_LEVEL` names another (`trace`,
    /// `debug`, `info`, `notice`, `warning`, `error`, `critical`). Call it first thing in a command's
    /// `run()`; later calls do nothing, because swift-log allows one bootstrap per process.
    /// - Parameter format: `text` (swift-log's stream handler) or `json` (``JSONLogHandler``).
    static func bootstrapForCommandLine(level: Logger.Level = .info, format: LogFormat = .text) {
        guard !self.commandLineBootstrapped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let chosen = ProcessInfo.processInfo.environment["CORSAIR_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? level
        if format == .json {
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = chosen
                return handler
            }
            return
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = chosen
            return handler
        }
    }
}

/// `--log-format`: how a long-running command writes its log lines on stderr.
enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case json
}
