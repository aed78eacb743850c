import DequeModule
import HeapModule

/// The I/O thread's timers, earliest first (by deadline, then by the order they were added).
///
/// Most timers are attempt deadlines under one policy: the send time plus the same timeout, so they
/// arrive in deadline order. Those go to a FIFO lane, where adding and removing one costs O(1) and
/// no sifting; the few lanes let interleaved runs (two policies' timeouts, backoffs) each keep an
/// order of their own. A timer that fits no lane's tail goes to a heap. Every lane is sorted, so
/// taking the least of the lanes' fronts and the heap's minimum yields exactly the order one heap
/// of every timer would.
struct EngineTimerQueue {
    /// How many FIFO lanes there are: more costs a comparison each on every look at the minimum.
    static let laneCount = 3

    private var lanes: [Deque<EngineTimer>]
    private var heap = Heap<EngineTimer>()

    init() {
        self.lanes = Array(repeating: [], count: Self.laneCount)
    }

    /// How many timers the queue holds, stale ones included.
    var count: Int {
        self.lanes.reduce(self.heap.count) { $0 + $1.count }
    }

    var isEmpty: Bool { self.count == 0 }

    /// Adds a timer: to the lane whose last timer is the latest not after it, so that lanes stay
    /// sorted and a far-off timer does not push a run of near ones out; else to an empty lane; else
    /// to the heap.
    mutating func insert(_ timer: EngineTimer) {
        var best: (lane: Int, last: EngineTimer)?
        var empty: Int?
        for index in self.lanes.indices {
            guard let last = self.lanes[index].last else {
                if empty == nil { empty = index }
                continue
            }
            guard !(timer < last) else { continue }
            if let current = best, !(current.last < last) { continue }
            best = (index, last)
        }
        if let lane = best?.lane ?? empty {
            self.lanes[lane].append(timer)
        } else {
            self.heap.insert(timer)
        }
    }

    /// Where the earliest timer is: a lane's index, or `nil` for the heap.
    private func earliest() -> (timer: EngineTimer, lane: Int?)? {
        var result: (timer: EngineTimer, lane: Int?)? = self.heap.min.map { ($0, nil) }
        for index in self.lanes.indices {
            guard let first = self.lanes[index].first else { continue }
            if let current = result, !(first < current.timer) { continue }
            result = (first, index)
        }
        return result
    }

    /// The earliest timer.
    var min: EngineTimer? {
        self.earliest()?.timer
    }

    /// Removes and returns the earliest timer.
    @discardableResult
    mutating func removeMin() -> EngineTimer? {
        guard let (timer, lane) = self.earliest() else { return nil }
        self.removeFirst(of: lane)
        return timer
    }

    /// Removes the earliest timers while `isStale` says they are, and returns the first that is
    /// not, left in place: one search for the earliest per timer, where ``min`` then
    /// ``removeMin()`` would take two.
    mutating func removeStale(while isStale: (EngineTimer) -> Bool) -> EngineTimer? {
        while let (timer, lane) = self.earliest() {
            guard isStale(timer) else { return timer }
            self.removeFirst(of: lane)
        }
        return nil
    }

    private mutating func removeFirst(of lane: Int?) {
        if let lane {
            self.lanes[lane].removeFirst()
        } else {
            self.heap.removeMin()
        }
    }

    /// Drops every timer `isStale` says is, keeping the rest in order.
    mutating func removeAll(where isStale: (EngineTimer) -> Bool) {
        for index in self.lanes.indices {
            self.lanes[index].removeAll(where: isStale)
        }
        self.heap = Heap(self.heap.unordered.filter { !isStale($0) })
    }
}
