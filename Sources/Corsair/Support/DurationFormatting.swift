/// Short human text for durations in errors and logs: `2.5s`, `300ms`, `750us`.
package enum DurationFormatting {
    package static func text(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        if microseconds % 1_000_000 == 0 {
            return "\(microseconds / 1_000_000)s"
        }
        if microseconds >= 1_000_000 {
            let tenths = (microseconds + 50_000) / 100_000
            return tenths % 10 == 0 ? "\(tenths / 10)s" : "\(tenths / 10).\(tenths % 10)s"
        }
        if microseconds % 1000 == 0 || microseconds >= 10_000 {
            return "\((microseconds + 500) / 1000)ms"
        }
        return "\(microseconds)us"
    }
}
