/// Short human text for durations in errors and logs: `250ms`, `2.5s`, `90s`.
package enum DurationFormatting {
    package static func text(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if seconds == 0 && attoseconds >= 0 {
            let milliseconds = attoseconds / 1_000_000_000_000_000
            if milliseconds > 0 || attoseconds == 0 {
                return "\(milliseconds)ms"
            }
            return "\(attoseconds / 1_000_000_000)ns"
        }
        let milliseconds = attoseconds / 1_000_000_000_000_000
        guard milliseconds != 0 else { return "\(seconds)s" }
        var fraction = String(abs(milliseconds))
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(seconds).\(fraction)s"
    }
}
