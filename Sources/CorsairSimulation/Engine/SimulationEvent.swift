/// One thing due at an instant of virtual time, ordered by time and then by when it was scheduled,
/// so that ties resolve the same way on every run.
struct SimulationEvent: Comparable {
    enum Kind: UInt8 {
        /// The next request of the open workload arrives.
        case arrival
        /// The call's attempt gets its reply.
        case reply
        /// The call's attempt deadline passes without a reply.
        case timeout
        /// The call's backoff ends: send the next attempt.
        case retry
        /// A reply nobody waits for any more reaches a pipelined connection: a sign of life. The
        /// slot is the (client, shard) pair, the token the connection's id.
        case stray
    }

    /// Nanoseconds from the start of the run.
    var time: Int64
    /// When it was scheduled (a run-wide count) in the high 56 bits, its kind in the low 8: one
    /// word, so that an event stays 24 bytes and the heap moves less.
    private var order: UInt64
    /// The call's slot; unused for arrivals.
    var slot: Int32
    /// The call's ``SimulatedCall/token`` when scheduled: an event whose call has since been
    /// rescheduled (a pipelined connection rebuilt under it) is stale and skipped.
    var token: UInt32

    init(time: Int64, sequence: UInt64, kind: Kind, slot: Int32, token: UInt32) {
        self.time = time
        self.order = sequence << 8 | UInt64(kind.rawValue)
        self.slot = slot
        self.token = token
    }

    var kind: Kind {
        // Only the initializer writes `order`, always with a kind's raw value.
        Kind(rawValue: UInt8(truncatingIfNeeded: self.order)) ?? .arrival
    }

    static func < (lhs: SimulationEvent, rhs: SimulationEvent) -> Bool {
        lhs.time != rhs.time ? lhs.time < rhs.time : lhs.order < rhs.order
    }

    static func == (lhs: SimulationEvent, rhs: SimulationEvent) -> Bool {
        lhs.time == rhs.time && lhs.order == rhs.order
    }
}

/// One request in flight, kept in a flat table of reused slots: what the simulated network and the
/// statistics need.
///
/// What the engine decides about the request (its attempts, deadlines, backoff, breaker probe) is
/// the client engine's own `EngineStateMachine.Call`, kept in a parallel table: that type's layout
/// is only known at run time (it holds standard-library instants), so every copy of it is a call,
/// and the fields read on every event stay in this plain one.
struct SimulatedCall {
    var client: Int32 = 0
    var shard: Int32 = 0
    /// The index of the client's retry budget and breaker for the shard.
    var pair: Int32 = 0
    /// The closed workload's worker that sent it; -1 for the open workload.
    var worker: Int32 = -1
    var submittedAt: Int64 = 0
    /// When the outstanding attempt's reply arrives; `Int64.max` for never.
    var replyAt: Int64 = .max
    /// Whether that reply says "overloaded", and with which retry-after hint.
    var replyOverloaded = false
    var retryAfter: Int64 = 0
    /// Whether its shard was under a fault when it was sent.
    var shardFaulted = false
    /// Whether its shard was down when it was sent.
    var shardDown = false
    /// Whether any shard was under a fault when it was sent.
    var anyFault = false
    /// Attempts sent so far, copied from the engine's state after each send.
    var attempt: Int32 = 0
    /// Counts the events scheduled for the slot; only the latest is live.
    var token: UInt32 = 0
    /// The order of admission, as the engine numbers request ids.
    var requestID: Int64 = 0
    /// Pipelined mode: the id of the connection the call is outstanding on, -1 for none, and its
    /// place in that connection's list.
    var connection: Int32 = -1
    var connectionIndex: Int32 = 0
    /// When the retry the call backs off for is due.
    var retryAt: Int64 = 0
}
