extension Duration {
    /// Whole nanoseconds, saturating at the ends of `Int64` (about ±292 years) instead of trapping.
    ///
    /// The one conversion of a `Duration` to an integer count of nanoseconds, for metrics, timers and
    /// the simulator's virtual clock.
    package var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = self.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, overflowSum) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        guard !overflowSum else { return seconds < 0 ? .min : .max }
        return sum
    }
}
