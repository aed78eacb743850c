import ArgumentParser
import ShardMap

/// A `Duration` on the command line: `300ms`, `2.5s`, `2s`, `1m`.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let duration: Duration

    init?(argument: String) {
        guard let duration = DurationText.parse(argument), duration > .zero else { return nil }
        self.duration = duration
    }

    var defaultValueDescription: String { DurationText.format(self.duration) }
}
