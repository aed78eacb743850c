import Foundation
import Logging
import Synchronization

/// `--log-format json`: one JSON object per line on stderr, for log collectors: `timestamp`
/// (ISO 8601, UTC, milliseconds), `level`, `label`, `message` and `metadata` (strings).
struct JSONLogHandler: LogHandler {
    /// Lines from many threads must not interleave.
    private static let output = Mutex(())

    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = self.metadata
        if let extra = event.metadata {
            merged.merge(extra) { _, new in new }
        }
        let object: [String: Any] = [
            "timestamp": Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)),
            "level": event.level.rawValue,
            "label": self.label,
            "message": "\(event.message)",
            "metadata": merged.mapValues { "\($0)" },
        ]
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(0x0A)
        Self.output.withLock { _ in FileHandle.standardError.write(data) }
    }
}
