import ArgumentParser
import UnitText
import ShardMap

/// A `Duration` on the command line: `300ms`, `2.5s`, `2s`, `1m`.
///
/// Declare options with `transform: DurationArgument.parse`, so that a rejected value says why
/// (`durations need a unit: 5s, 500ms`) rather than only that it is invalid.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let duration: Duration

    init?(argument: String) {
        guard let parsed = try? Self.parse(argument) else { return nil }
        self = parsed
    }

    private init(_ duration: Duration) {
        self.duration = duration
    }

    var defaultValueDescription: String { DurationText.format(self.duration) }

    /// Why a value is not a duration, shown after ArgumentParser's "the value … is invalid" text.
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// A positive duration from `text`, or a ``Problem`` saying what is wrong with it.
    static func parse(_ text: String) throws -> DurationArgument {
        if let duration = DurationText.parse(text) {
            guard duration > .zero else { throw Problem(description: "durations must be positive") }
            return DurationArgument(duration)
        }
        if Double(text) != nil {
            throw Problem(description: "durations need a unit: 5s, 500ms")
        }
        throw Problem(description: "not a duration; write a number and a unit: 5s, 500ms, 1m")
    }
}

/// A heartbeat interval on the command line: a positive duration, or `off`.
struct HeartbeatArgument: Sendable {
    /// The interval; `nil` for `off`.
    let interval: Duration?

    static func parse(_ text: String) throws -> HeartbeatArgument {
        text == "off" ? HeartbeatArgument(interval: nil) : HeartbeatArgument(interval: try DurationArgument.parse(text).duration)
    }
}
