/// A client's pipelined connection to one shard, as `EngineCore` keeps it: the requests
/// outstanding on it and when it last showed a sign of life.
///
/// One per (client, shard) pair. The engine opens it on the first send and closes it when a
/// request's attempt deadline finds it silent; the next send opens another, with a new id, so
/// replies still on their way to the old one are lost with it.
struct SimulatedConnection {
    /// The open connection's id, unique in the run; -1 while none is open.
    var id: Int32 = -1
    /// Nanoseconds of the run: the last reply on it (any reply, wanted or stray), or the send
    /// that found it with nothing outstanding, or its opening.
    var lastSignOfLife: Int64 = 0
    /// The slots of the calls outstanding on it: in flight, or backing off before a resend on it.
    var outstanding: [Int32] = []

    var isOpen: Bool { self.id >= 0 }
}
