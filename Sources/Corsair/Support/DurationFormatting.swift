import ShardMap

/// Short human text for durations in errors and logs (`2500ms`, `5s`), the same text config
/// files and the command line accept.
package enum DurationFormatting {
    package static func text(_ duration: Duration) -> String {
        DurationText.format(duration)
    }
}
