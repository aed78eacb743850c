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
struct ReplayCache {
    struct Key: Hashable {
        let clientID: ClientID
        let requestID: RequestID
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
    }

    private struct Entry {
        var state: State
        /// Which insertion this is, so that a stale position in `order` is recognised.
        let sequence: UInt64
    }

    /// The most retries of one running request that wait for its reply; older ones are dropped,
    /// because their REQ sockets are closed by now.
    static let maximumWaiters = 8

    let capacity: Int
    let maxBytes: Int
    let ttl: Duration
    private var entries: [Key: Entry] = [:]
    private var order = Deque<(key: Key, sequence: UInt64)>()
    private var nextSequence: UInt64 = 0
    /// The bytes of the finished replies kept.
    private var bytes = 0

    init(capacity: Int, maxBytes: Int = .max, ttl: Duration) {
        self.capacity = capacity
        self.maxBytes = maxBytes
        self.ttl = ttl
    }

    var isEnabled: Bool { self.capacity > 0 }
    var count: Int { self.entries.count }
    /// The bytes of the finished replies kept.
    var storedBytes: Int { self.bytes }

    mutating func lookup(_ key: Key, now: ContinuousClock.Instant) -> Lookup {
        guard let entry = self.entries[key] else { return .miss }
        switch entry.state {
        case .running:
            return .running
        case .done(let content, let status, let expires):
            guard expires > now else {
                // Its place in `order` is now stale and is skipped when reached.
                self.remove(key)
                return .miss
            }
            return .done(content, status)
        }
    }

    /// Adds a retry's envelope to the running entry, to be answered when the run finishes.
    mutating func addWaiter(_ key: Key, envelope: [[UInt8]]) {
        guard var entry = self.entries[key], case .running(let jobID, var waiters) = entry.state else { return }
        if waiters.count >= Self.maximumWaiters {
            waiters.removeFirst()
        }
        waiters.append(envelope)
        entry.state = .running(jobID: jobID, waiters: waiters)
        self.entries[key] = entry
    }

    /// Records that a run started, evicting the oldest entries beyond the capacity.
    mutating func started(_ key: Key, jobID: UInt64) {
        guard self.isEnabled else { return }
        self.insert(key, state: .running(jobID: jobID, waiters: []))
    }

    /// Records a run's reply and returns the envelopes of the retries that waited for it.
    mutating func finished(
        _ key: Key,
        jobID: UInt64,
        content: [[UInt8]],
        status: ReplyStatus,
        now: ContinuousClock.Instant
    ) -> [[[UInt8]]] {
        guard self.isEnabled else { return [] }
        let expires = now.advanced(by: self.ttl)
        var waiters: [[[UInt8]]] = []
        if let entry = self.entries[key], case .running(let running, let joined) = entry.state, running == jobID {
            waiters = joined
        }
        // Inserted anew (or again, if evicted while it ran) so that the byte bound, which only
        // finished replies count towards, evicts older replies rather than this one.
        self.insert(key, state: .done(content: content, status: status, expires: expires))
        return waiters
    }

    /// Drops finished entries whose TTL has passed, oldest first.
    mutating func expire(now: ContinuousClock.Instant) {
        while let front = self.order.first {
            guard let entry = self.entries[front.key], entry.sequence == front.sequence else {
                self.order.removeFirst()
                continue
            }
            guard case .done(_, _, let expires) = entry.state, expires <= now else { return }
            self.remove(front.key)
            self.order.removeFirst()
        }
    }

    private mutating func insert(_ key: Key, state: State) {
        self.remove(key)
        self.nextSequence &+= 1
        self.entries[key] = Entry(state: state, sequence: self.nextSequence)
        self.bytes += Self.size(of: state)
        self.order.append((key, self.nextSequence))
        // The entry just inserted is the newest, so it is the last one left.
        while self.entries.count > self.capacity || (self.bytes > self.maxBytes && self.entries.count > 1),
              let front = self.order.popFirst() {
            if let entry = self.entries[front.key], entry.sequence == front.sequence {
                self.remove(front.key)
            }
        }
        // Stale positions pile up only when entries expire out of order; keep `order` bounded.
        if self.order.count > 2 * self.capacity + 64 {
            self.order = Deque(self.order.filter { self.entries[$0.key]?.sequence == $0.sequence })
        }
    }

    private mutating func remove(_ key: Key) {
        guard let entry = self.entries.removeValue(forKey: key) else { return }
        self.bytes -= Self.size(of: entry.state)
    }

    private static func size(of state: State) -> Int {
        guard case .done(let content, _, _) = state else { return 0 }
        return content.reduce(0) { $0 + $1.count }
    }
}
