/// A deadline in the I/O thread's ``EngineTimerQueue``.
///
/// Entries are never removed early: a call replaces its timer by taking a new sequence number, and
/// the loop skips entries whose call has ended or moved on to a later timer when they reach the
/// top. The entry names its call by ``CallTable`` slot, not by reference, so it is plain data:
/// moving it inside the queue costs no reference counting.
struct EngineTimer: Comparable {
    enum Kind: UInt8 {
        /// The attempt's reply is overdue.
        case attemptDeadline
        /// The backoff before the next attempt is over.
        case retry
        /// The overall deadline passed while the call waited for a socket.
        case overallDeadline
    }

    let deadline: ContinuousClock.Instant
    /// Unique over the engine's life: orders equal deadlines by insertion, and tells a call's live
    /// timer from the ones it replaced even after its slot passed to another call.
    let sequence: UInt64
    let slot: Int32
    let kind: Kind

    static func < (lhs: EngineTimer, rhs: EngineTimer) -> Bool {
        lhs.deadline < rhs.deadline || (lhs.deadline == rhs.deadline && lhs.sequence < rhs.sequence)
    }

    static func == (lhs: EngineTimer, rhs: EngineTimer) -> Bool {
        lhs.sequence == rhs.sequence
    }
}
