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

    @Test("property: entries within capacity, bytes within the bound (or one entry), nothing answered past its TTL, the latest reply answered")
    func properties() async {
        // Each step: a request id, an operation, a reply size and how far time moves.
        let steps = zip(Gen.int(in: 1...12), Gen.int(in: 0...3), Gen.int(in: 0...300), Gen.int(in: 0...2_000)).array(of: 1...200)
        await propertyCheck(count: 200, input: Gen.int(in: 1...8), Gen.int(in: 1...1_000), steps) { capacity, maxBytes, steps in
            let ttl = Duration.seconds(5)
            var cache = ReplayCache(capacity: capacity, maxBytes: maxBytes, ttl: ttl)
            var now = self.start
            var running: [UInt64: UInt64] = [:]
            var latest: [UInt64: (content: [[UInt8]], finished: ContinuousClock.Instant)] = [:]
            var nextJob: UInt64 = 0
            for (id, operation, size, advance) in steps {
                let requestID = UInt64(id)
                now = now.advanced(by: .milliseconds(advance))
                switch operation {
                case 0:
                    nextJob += 1
                    running[requestID] = nextJob
                    cache.started(self.key(requestID), jobID: nextJob)
                case 1:
                    guard let job = running.removeValue(forKey: requestID) else { continue }
                    let content = [[UInt8](repeating: UInt8(truncatingIfNeeded: job), count: size)]
                    _ = cache.finished(self.key(requestID), jobID: job, content: content, status: .ok, now: now)
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
