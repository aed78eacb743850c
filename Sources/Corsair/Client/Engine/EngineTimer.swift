/// A deadline in the I/O thread's timer heap.
///
/// Entries are never removed early: a call replaces its timer by bumping its generation, and the
/// loop skips entries whose generation is stale when they reach the top.
struct EngineTimer: Comparable {
    enum Kind {
        /// The attempt's reply is overdue.
        case attemptDeadline
        /// The backoff before the next attempt is over.
        case retry
        /// The overall deadline passed while the call waited for a socket.
        case overallDeadline
    }

    let deadline: ContinuousClock.Instant
    let sequence: UInt64
    let generation: UInt64
    let kind: Kind
    let call: PendingCall

    var isStale: Bool {
        self.call.isFinished || self.generation != self.call.timerGeneration
    }

    static func < (lhs: EngineTimer, rhs: EngineTimer) -> Bool {
        (lhs.deadline, lhs.sequence) < (rhs.deadline, rhs.sequence)
    }

    static func == (lhs: EngineTimer, rhs: EngineTimer) -> Bool {
        lhs.sequence == rhs.sequence
    }
}
