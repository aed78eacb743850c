@testable import Corsair
import PropertyBased
import Testing

@Suite("Replay cache (injected time)")
struct ReplayCacheTests {
    let start = ContinuousClock.now

    func key(_ id: UInt64) -> ReplayCache.Key {
        ReplayCache.Key(clientID: ClientID(high: 3, low: 4), requestID: id)
    }

    func isDone(_ lookup: ReplayCache.Lookup, _ content: [[UInt8]]) -> Bool {
        if case .done(let cached, _) = lookup { return cached == content }
        return false
    }

    @Test("a finished reply lives for exactly its TTL after it finished; expire drops it")
    func ttl() {
        var cache = ReplayCache(capacity: 10, ttl: .seconds(60))
        cache.started(self.key(1), jobID: 1)
        _ = cache.finished(self.key(1), jobID: 1, content: [[1]], status: .ok, now: self.start)
        #expect(self.isDone(cache.lookup(self.key(1), now: self.start.advanced(by: .seconds(59))), [[1]]))
        cache.expire(now: self.start.advanced(by: .seconds(59)))
        #expect(cache.count == 1)
        cache.expire(now: self.start.advanced(by: .seconds(60)))
        #expect(cache.count == 0)
        #expect(cache.lookup(self.key(1), now: self.start.advanced(by: .seconds(60))) == .miss)
    }

    @Test("retries of a running request wait for it, the newest maximumWaiters of them")
    func waiters() {
        var cache = ReplayCache(capacity: 10, ttl: .seconds(60))
        cache.started(self.key(1), jobID: 5)
        #expect(cache.lookup(self.key(1), now: self.start) == .running)
        let count = ReplayCache.maximumWaiters + 2
        for index in 0..<count {
            cache.addWaiter(self.key(1), envelope: [[UInt8(index)]])
        }
        // A finish from another run (an evicted, restarted one) returns no waiters of this one.
        let others = cache.finished(self.key(1), jobID: 4, content: [[0]], status: .ok, now: self.start)
        #expect(others.isEmpty)
        cache.started(self.key(2), jobID: 6)
        cache.addWaiter(self.key(2), envelope: [[1]])
        #expect(cache.finished(self.key(2), jobID: 6, content: [[2]], status: .ok, now: self.start) == [[[1]]])
        // Waiters are kept newest first up to the bound.
        var bounded = ReplayCache(capacity: 10, ttl: .seconds(60))
        bounded.started(self.key(3), jobID: 1)
        for index in 0..<count {
            bounded.addWaiter(self.key(3), envelope: [[UInt8(index)]])
        }
        let answered = bounded.finished(self.key(3), jobID: 1, content: [[3]], status: .ok, now: self.start)
        #expect(answered == (2..<count).map { [[UInt8($0)]] })
    }

    @Test("a disabled cache remembers nothing")
    func disabled() {
        var cache = ReplayCache(capacity: 0, ttl: .seconds(60))
        cache.started(self.key(1), jobID: 1)
        #expect(cache.lookup(self.key(1), now: self.start) == .miss)
        #expect(cache.finished(self.key(1), jobID: 1, content: [[1]], status: .ok, now: self.start).isEmpty)
        #expect(cache.count == 0)
    }

    @Test("a run's slot takes its reply in place: one entry, the waiters answered, the reply kept")
    func slotFinish() throws {
        var cache = ReplayCache(capacity: 10, ttl: .seconds(60))
        let started = cache.started(self.key(1), jobID: 7)
        let slot = try #require(started)
        cache.addWaiter(self.key(1), envelope: [[5]])
        #expect(cache.finished(self.key(1), slot: slot, jobID: 7, content: [[1, 2]], status: .ok, now: self.start) == [[[5]]])
        #expect(cache.count == 1)
        #expect(cache.storedBytes == 2)
        #expect(self.isDone(cache.lookup(self.key(1), now: self.start), [[1, 2]]))
        // The slot went stale when the reply went in: another finish goes by key, as without one,
        // and finds no run to answer waiters for.
        #expect(cache.finished(self.key(1), slot: slot, jobID: 7, content: [[3]], status: .ok, now: self.start).isEmpty)
        #expect(self.isDone(cache.lookup(self.key(1), now: self.start), [[3]]))
        #expect(cache.count == 1)
    }

    @Test("a stale slot never touches the entry that reuses its place; its key is inserted again")
    func staleSlot() throws {
        var cache = ReplayCache(capacity: 2, ttl: .seconds(60))
        let started = cache.started(self.key(1), jobID: 1)
        let first = try #require(started)
        cache.started(self.key(2), jobID: 2)
        cache.started(self.key(3), jobID: 3)  // evicts key 1
        cache.started(self.key(4), jobID: 4)  // evicts key 2, may reuse key 1's place
        #expect(cache.lookup(self.key(1), now: self.start) == .miss)
        cache.addWaiter(self.key(4), envelope: [[4]])
        #expect(cache.finished(self.key(1), slot: first, jobID: 1, content: [[1]], status: .ok, now: self.start).isEmpty)
        #expect(self.isDone(cache.lookup(self.key(1), now: self.start), [[1]]))
        #expect(cache.lookup(self.key(4), now: self.start) == .running)
        #expect(cache.lookup(self.key(3), now: self.start) == .miss)
        #expect(cache.count == 2)
        #expect(cache.finished(self.key(4), jobID: 4, content: [[9]], status: .ok, now: self.start) == [[[4]]])
    }

    @Test("a reply recorded without a start (an inline run) is kept and evicts the oldest")
    func finishWithoutStart() {
        var cache = ReplayCache(capacity: 2, maxBytes: 3, ttl: .seconds(60))
        #expect(cache.finished(self.key(1), jobID: 0, content: [[1, 1]], status: .ok, now: self.start).isEmpty)
        #expect(cache.finished(self.key(2), jobID: 0, content: [[2]], status: .handlerError, now: self.start).isEmpty)
        #expect(cache.lookup(self.key(2), now: self.start) == .done([[2]], .handlerError))
        // Over both bounds: the oldest go until the newest fits.
        _ = cache.finished(self.key(3), jobID: 0, content: [[3, 3, 3]], status: .ok, now: self.start)
        #expect(cache.lookup(self.key(1), now: self.start) == .miss)
        #expect(cache.lookup(self.key(2), now: self.start) == .miss)
        #expect(cache.count == 1)
        #expect(cache.storedBytes == 3)
    }

    @Test("property: entries within capacity, bytes within the bound (or one entry), nothing answered past its TTL, the latest reply answered")
    func properties() async {
        // Each step: a request id, an operation, a reply size and how far time moves.
        let steps = zip(Gen.int(in: 1...12), Gen.int(in: 0...4), Gen.int(in: 0...300), Gen.int(in: 0...2_000)).array(of: 1...200)
        await propertyCheck(count: 200, input: Gen.int(in: 1...8), Gen.int(in: 1...1_000), steps) { capacity, maxBytes, steps in
            let ttl = Duration.seconds(5)
            var cache = ReplayCache(capacity: capacity, maxBytes: maxBytes, ttl: ttl)
            var now = self.start
            var running: [UInt64: (job: UInt64, slot: ReplayCache.Slot?)] = [:]
            var latest: [UInt64: (content: [[UInt8]], finished: ContinuousClock.Instant)] = [:]
            var nextJob: UInt64 = 0
            for (id, operation, size, advance) in steps {
                let requestID = UInt64(id)
                now = now.advanced(by: .milliseconds(advance))
                switch operation {
                case 0:
                    nextJob += 1
                    running[requestID] = (nextJob, cache.started(self.key(requestID), jobID: nextJob))
                case 1, 4:
                    // With the slot the run started in (which may be stale by now), or by key alone.
                    guard let run = running.removeValue(forKey: requestID) else { continue }
                    let content = [[UInt8](repeating: UInt8(truncatingIfNeeded: run.job), count: size)]
                    let slot = operation == 1 ? run.slot : nil
                    _ = cache.finished(self.key(requestID), slot: slot, jobID: run.job, content: content, status: .ok, now: now)
                    latest[requestID] = (content, now)
                case 2:
                    cache.expire(now: now)
                default:
                    switch cache.lookup(self.key(requestID), now: now) {
                    case .done(let content, _):
                        let last = try #require(latest[requestID])
                        #expect(content == last.content)
                        #expect(last.finished.duration(to: now) < ttl)
                    case .running, .miss:
                        break
                    }
                }
                #expect(cache.count <= capacity)
                #expect(cache.storedBytes <= maxBytes || cache.count == 1)
                #expect(cache.storedBytes >= 0)
            }
        }
    }
}
