/// The one place a `Duration` becomes libzmq's milliseconds.
///
/// Rounds up, so that a positive duration below a millisecond never becomes 0 (which libzmq reads
/// as "do not wait") and a poll never wakes before its deadline. Saturates at `Int32.max`.
extension Duration {
    package var zmqMilliseconds: Int32 {
        if self <= .zero { return 0 }
        let (seconds, attoseconds) = self.components
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let fraction = (attoseconds + perMillisecond - 1) / perMillisecond
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return Int32.max }
        let total = ms.addingReportingOverflow(fraction)
        if total.overflow || total.partialValue > Int64(Int32.max) { return Int32.max }
        return Int32(total.partialValue)
    }

    /// A duration from libzmq's milliseconds.
    package static func zmqMilliseconds(_ value: Int32) -> Duration {
        .milliseconds(Int64(value))
    }
}

extension Duration {
    /// Whole seconds, rounded up, for the few options libzmq counts in seconds (TCP keepalive).
    package var zmqSeconds: Int32 {
        let ms = Int64(self.zmqMilliseconds)
        return Int32(clamping: (ms + 999) / 1000)
    }
}
