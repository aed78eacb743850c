/// The I/O thread's admitted calls, each in a numbered slot.
///
/// A slot is an array index: timers and cancellations name a call by it, so finding the call costs
/// no hashing and a timer holds no reference to keep the call alive. Freed slots are reused, most
/// recent first, so the table stays as large as the most calls ever in flight at once.
struct CallTable {
    private var slots: [PendingCall?] = []
    private var free: [Int32] = []
    /// How many calls the table holds.
    private(set) var count = 0

    /// Puts the call in a free slot and records the slot in the call.
    mutating func insert(_ call: PendingCall) {
        let slot: Int32
        if let reused = self.free.popLast() {
            slot = reused
            self.slots[Int(slot)] = call
        } else {
            slot = Int32(truncatingIfNeeded: self.slots.count)
            self.slots.append(call)
        }
        call.slot = slot
        self.count += 1
    }

    /// The call in a slot, or `nil` when the slot is free or out of range.
    subscript(slot: Int32) -> PendingCall? {
        guard slot >= 0, Int(slot) < self.slots.count else { return nil }
        return self.slots[Int(slot)]
    }

    /// Frees the call's slot; does nothing when the call is not in the table.
    mutating func remove(_ call: PendingCall) {
        let slot = call.slot
        guard slot >= 0, Int(slot) < self.slots.count, self.slots[Int(slot)] === call else { return }
        self.slots[Int(slot)] = nil
        self.free.append(slot)
        self.count -= 1
        call.slot = -1
    }

    /// Every call in the table, in slot order.
    var calls: [PendingCall] {
        self.slots.compactMap { $0 }
    }
}
