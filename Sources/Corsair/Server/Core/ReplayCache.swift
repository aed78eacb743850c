import DequeModule

/// Remembers what each (client id, request id) got, so a retried request is answered without
/// running its handler again.
///
/// Owned by the server's I/O thread: no locks. The time is always an argument, never read from a
/// clock, so tests drive it through hours of TTL without sleeping. Bounded three ways: by entries and by the bytes of
/// the replies kept (the oldest goes first; a reply that finishes counts as new), and by age (a
/// finished entry lives for the TTL after it finished). One reply larger than the byte bound is
/// kept alone until the next one comes. A request whose first run is still going is remembered
/// as running, and its retries wait for that run.
///
/// Entries live in a slot array that reuses the places of forgotten entries; the dictionary maps a
/// key to its slot. ``started(_:jobID:)`` returns the slot, and ``finished(_:slot:jobID:content:status:now:)``
/// writes the reply into it in place, so a request costs one dictionary insertion (and one removal
/// when the cache is full), not a lookup and a rewrite of the entry at each end of its run.
struct ReplayCache {
    struct Key: Hashable {
        let clientID: ClientID
        let requestID: RequestID
    }

    /// Where ``started(_:jobID:)`` put a running entry. Passing it back to
    /// ``finished(_:slot:jobID:content:status:now:)`` finds the entry without hashing the key; once
    /// the entry is forgotten or replaced, the slot no longer matches it and the key is looked up.
    struct Slot: Equatable {
        fileprivate let index: Int32
        fileprivate let sequence: UInt64
    }

    enum Lookup: Equatable {
        /// Never seen, or forgotten: run the handler.
        case miss
        /// Finished: send these content frames (reply header and body) again.
        case done([[UInt8]], ReplyStatus)
        /// Still running: wait for it.
        case running
    }

    private enum State {
        case running(jobID: UInt64, waiters: [[[UInt8]]])
        case done(content: [[UInt8]], status: ReplyStatus, expires: ContinuousClock.Instant)

        /// What a free slot holds: nothing allocated.
        static let empty = State.running(jobID: 0, waiters: [])
    }

    private struct Entry {
        var key: Key
        var state: State
        /// The bytes of the reply when finished, 0 while running: counted once, not per eviction.
        var size: Int
        /// Which insertion this is, so that a stale position in `order` or a stale ``Slot`` is
        /// recognised; 0 while the slot is free.
        var sequence: UInt64
    }

    /// A place in the eviction order: trivially copyable, so the queue moves no references.
    private struct Position {
        let index: Int32
        let sequence: UInt64
    }

    /// The most retries of one running request that wait for its reply; older ones are dropped,
    /// because their REQ sockets are closed by now.
    static let maximumWaiters = 8

    let capacity: Int
    let maxBytes: Int
    let ttl: Duration
    private var slots: [Entry] = []
    /// Slots whose entries were forgotten, reused before the array grows.
    private var freeSlots: [Int32] = []
    private var index: [Key: Int32] = [:]
    /// Oldest first; a position whose sequence no longer matches its slot's is stale and skipped.
    private var order = Deque<Position>()
    private var nextSequence: UInt64 = 0
    /// The bytes of the finished replies kept.
    private var bytes = 0

    init(capacity: Int, maxBytes: Int = .max, ttl: Duration) {
        self.capacity = capacity
        self.maxBytes = maxBytes
        self.ttl = ttl
    }

    var isEnabled: Bool { self.capacity > 0 }
    var count: Int { self.index.count }
    /// The bytes of the finished replies kept.
    var storedBytes: Int { self.bytes }

    mutating func lookup(_ key: Key, now: ContinuousClock.Instant) -> Lookup {
        guard let slot = self.index[key] else { return .miss }
        switch self.slots[Int(slot)].state {
        case .running:
            return .running
        case .done(let content, let status, let expires):
            guard expires > now else {
                // Its place in `order` is now stale and is skipped when reached.
                self.remove(slot)
                return .miss
            }
            return .done(content, status)
        }
    }

    /// Adds a retry's envelope to the running entry, to be answered when the run finishes.
    mutating func addWaiter(_ key: Key, envelope: [[UInt8]]) {
        guard let slot = self.index[key], case .running(let jobID, var waiters) = self.slots[Int(slot)].state else { return }
        // Emptied first, so that the array below is not shared and grows in place.
        self.slots[Int(slot)].state = .empty
        if waiters.count >= Self.maximumWaiters {
            waiters.removeFirst()
        }
        waiters.append(envelope)
        self.slots[Int(slot)].state = .running(jobID: jobID, waiters: waiters)
    }

    /// Records that a run started, evicting the oldest entries beyond the capacity.
    /// - Returns: Where the entry is, for ``finished(_:slot:jobID:content:status:now:)``; `nil`
    ///   when the cache is disabled.
    @discardableResult
    mutating func started(_ key: Key, jobID: UInt64) -> Slot? {
        guard self.isEnabled else { return nil }
        return self.place(key, state: .running(jobID: jobID, waiters: []))
    }

    /// Records a run's reply and returns the envelopes of the retries that waited for it.
    /// - Parameter slot: What ``started(_:jobID:)`` returned for this run, if anything; it only
    ///   saves looking the key up.
    mutating func finished(
        _ key: Key,
        slot: Slot? = nil,
        jobID: UInt64,
        content: [[UInt8]],
        status: ReplyStatus,
        now: ContinuousClock.Instant
    ) -> [[[UInt8]]] {
        guard self.isEnabled else { return [] }
        let state = State.done(content: content, status: status, expires: now.advanced(by: self.ttl))
        let found: Int32?
        if let slot, self.slots.indices.contains(Int(slot.index)), self.slots[Int(slot.index)].sequence == slot.sequence {
            found = slot.index
        } else {
            found = self.index[key]
        }
        guard let found else {
            // Evicted while it ran: inserted again.
            self.place(key, state: state)
            return []
        }
        var waiters: [[[UInt8]]] = []
        if case .running(let running, let joined) = self.slots[Int(found)].state, running == jobID {
            waiters = joined
        }
        // Renewed in place as the newest entry, so that the byte bound, which only finished
        // replies count towards, evicts older replies rather than this one.
        self.renew(found, state: state)
        return waiters
    }

    /// Drops finished entries whose TTL has passed, oldest first.
    mutating func expire(now: ContinuousClock.Instant) {
        while let front = self.order.first {
            let entry = Int(front.index)
            guard self.slots[entry].sequence == front.sequence else {
                self.order.removeFirst()
                continue
            }
            guard case .done(_, _, let expires) = self.slots[entry].state, expires <= now else { return }
            self.remove(front.index)
            self.order.removeFirst()
        }
    }

    /// Puts `state` under `key`, in the key's slot or a new one, as the newest entry.
    @discardableResult
    private mutating func place(_ key: Key, state: State) -> Slot {
        let fresh = self.freeSlots.last ?? Int32(self.slots.count)
        var existing: Int32 = -1
        // One hash for the search and the insertion both.
        Self.claim(&self.index[key, default: -1], fresh: fresh, existing: &existing)
        if existing >= 0 {
            return self.renew(existing, state: state)
        }
        if self.freeSlots.isEmpty {
            self.slots.append(Entry(key: key, state: .empty, size: 0, sequence: 0))
        } else {
            self.freeSlots.removeLast()
            self.slots[Int(fresh)].key = key
        }
        return self.renew(fresh, state: state)
    }

    private static func claim(_ value: inout Int32, fresh: Int32, existing: inout Int32) {
        if value >= 0 {
            existing = value
        } else {
            value = fresh
        }
    }

    /// Replaces the state of a slot in use, makes it the newest entry, and evicts beyond the bounds.
    @discardableResult
    private mutating func renew(_ slot: Int32, state: State) -> Slot {
        let entry = Int(slot)
        let size = Self.size(of: state)
        self.bytes += size - self.slots[entry].size
        self.nextSequence &+= 1
        self.slots[entry].state = state
        self.slots[entry].size = size
        self.slots[entry].sequence = self.nextSequence
        self.order.append(Position(index: slot, sequence: self.nextSequence))
        // The entry just renewed is the newest, so it is the last one left.
        while self.index.count > self.capacity || (self.bytes > self.maxBytes && self.index.count > 1),
              let front = self.order.popFirst() {
            if self.slots[Int(front.index)].sequence == front.sequence {
                self.remove(front.index)
            }
        }
        // Stale positions pile up when entries finish or expire out of order; keep `order` bounded.
        if self.order.count > 2 * self.capacity + 64 {
            self.order = Deque(self.order.filter { self.slots[Int($0.index)].sequence == $0.sequence })
        }
        return Slot(index: slot, sequence: self.nextSequence)
    }

    private mutating func remove(_ slot: Int32) {
        let entry = Int(slot)
        self.index.removeValue(forKey: self.slots[entry].key)
        self.bytes -= self.slots[entry].size
        self.slots[entry].state = .empty
        self.slots[entry].size = 0
        self.slots[entry].sequence = 0
        self.freeSlots.append(slot)
    }

    private static func size(of state: State) -> Int {
        guard case .done(let content, _, _) = state else { return 0 }
        return content.reduce(0) { $0 + $1.count }
    }
}
