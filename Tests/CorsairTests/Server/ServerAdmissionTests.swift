@testable import Corsair
import PropertyBased
import Synchronization
import Testing

/// An ownership whose answer the test sets; it counts the refreshes asked for.
final class ScriptedOwnership: ShardOwnership {
    private let state: Mutex<(decision: ShardOwnershipDecision, refreshes: Int)>

    init(_ decision: ShardOwnershipDecision) {
        self.state = Mutex((decision, 0))
    }

    var decision: ShardOwnershipDecision {
        get { self.state.withLock { $0.decision } }
        set { self.state.withLock { $0.decision = newValue } }
    }

    var epoch: UInt64 {
        switch self.decision {
        case .owned(let epoch), .moved(_, _, let epoch), .unknownShard(let epoch), .clientMapNewer(let epoch): return epoch
        }
    }

    func decide(_ query: OwnershipQuery) -> ShardOwnershipDecision {
        self.decision
    }
}

@Suite("Server admission (state machine)")
struct ServerAdmissionTests {
    static let limits = ServerAdmission.Limits(
        minimumRemainingDeadline: .milliseconds(1),
        maxInFlight: 2,
        overloadRetryAfter: .milliseconds(100),
        olderMapRetryAfter: .milliseconds(100)
    )
    static let client = ClientID(high: 1, low: 2)
    let start = ContinuousClock.now

    func admission(ownership: (any ShardOwnership)? = nil, entries: Int = 100, ttl: Duration = .seconds(60)) -> ServerAdmission {
        ServerAdmission(limits: Self.limits, ownership: ownership, cache: ReplayCache(capacity: entries, ttl: ttl))
    }

    func request(_ id: UInt64, deadline: Duration? = .seconds(5), key: String? = "k", epoch: UInt64 = 0) -> ServerAdmission.Request {
        ServerAdmission.Request(
            key: ReplayCache.Key(clientID: Self.client, requestID: id),
            remainingDeadline: deadline,
            routingKey: key.map { Array($0.utf8) },
            shardID: nil,
            epoch: epoch,
            envelope: [[UInt8(id & 0xFF)], []]
        )
    }

    @Test("deadline: at or below the minimum left is expired, before replay is consulted")
    func deadline() {
        var admission = self.admission()
        #expect(admission.admit(self.request(1, deadline: .milliseconds(1)), inFlight: 0, now: self.start) == .deadlineExpired(epoch: 0))
        #expect(admission.admit(self.request(1, deadline: .zero), inFlight: 0, now: self.start) == .deadlineExpired(epoch: 0))
        #expect(admission.admit(self.request(1, deadline: .milliseconds(2)), inFlight: 0, now: self.start) == .run(epoch: 0))
        #expect(admission.admit(self.request(2, deadline: nil), inFlight: 0, now: self.start) == .run(epoch: 0))
        // An expired retry of a running request is expired, not joined.
        admission.started(self.request(2).key, jobID: 1)
        #expect(admission.admit(self.request(2, deadline: .zero), inFlight: 1, now: self.start) == .deadlineExpired(epoch: 0))
    }

    @Test("replay: a running request is joined, a finished one answered again until its TTL passes")
    func replay() {
        var admission = self.admission(ttl: .seconds(10))
        let first = self.request(7)
        #expect(admission.admit(first, inFlight: 0, now: self.start) == .run(epoch: 0))
        admission.started(first.key, jobID: 1)
        #expect(admission.admit(first, inFlight: 1, now: self.start) == .joinedRunning)
        let waiters = admission.finished(first.key, jobID: 1, content: [[9]], status: .ok, now: self.start)
        #expect(waiters == [first.envelope])
        #expect(admission.admit(first, inFlight: 0, now: self.start.advanced(by: .seconds(9))) == .replay(content: [[9]], status: .ok))
        #expect(admission.admit(first, inFlight: 0, now: self.start.advanced(by: .seconds(10))) == .run(epoch: 0))
    }

    @Test("replay comes before ownership: a retry after the key moved gets the first run's reply")
    func replayBeforeOwnership() {
        let ownership = ScriptedOwnership(.owned(epoch: 3))
        var admission = self.admission(ownership: ownership)
        let first = self.request(1)
        #expect(admission.admit(first, inFlight: 0, now: self.start) == .run(epoch: 3))
        admission.started(first.key, jobID: 1)
        _ = admission.finished(first.key, jobID: 1, content: [[1]], status: .ok, now: self.start)
        ownership.decision = .moved(shardID: "s2", endpoint: "tcp://h:2", epoch: 4)
        #expect(admission.admit(first, inFlight: 0, now: self.start) == .replay(content: [[1]], status: .ok))
        #expect(admission.admit(self.request(2), inFlight: 0, now: self.start) == .moved(shardID: "s2", endpoint: "tcp://h:2", epoch: 4))
        ownership.decision = .unknownShard(epoch: 4)
        #expect(admission.admit(self.request(3), inFlight: 0, now: self.start) == .wrongShard(epoch: 4))
        // Without a key or shard, ownership is not asked.
        #expect(admission.admit(self.request(4, key: nil), inFlight: 0, now: self.start) == .run(epoch: 4))
    }

    @Test("in-flight bound: overloaded with the retry-after once maxInFlight handlers run")
    func inFlight() {
        var admission = self.admission()
        #expect(admission.admit(self.request(1), inFlight: 1, now: self.start) == .run(epoch: 0))
        #expect(admission.admit(self.request(2), inFlight: 2, now: self.start) == .overloaded(epoch: 0, retryAfter: .milliseconds(100)))
        #expect(admission.admitToRun(inFlight: 2, epoch: 0) == .overloaded(epoch: 0, retryAfter: .milliseconds(100)))
        #expect(admission.admitToRun(inFlight: 0, epoch: 0) == .run(epoch: 0))
    }

    @Test("a newer client map: one shared refresh, parked requests decided again, then server map older; no reload storm")
    func newerClientMap() {
        let ownership = ScriptedOwnership(.clientMapNewer(epoch: 5))
        var admission = self.admission(ownership: ownership)
        let now = self.start
        #expect(admission.admit(self.request(1, epoch: 6), inFlight: 0, now: now) == .park(startRefresh: true))
        #expect(admission.admit(self.request(2, epoch: 6), inFlight: 0, now: now) == .park(startRefresh: false))
        // The park bound is the in-flight bound.
        #expect(admission.admit(self.request(3, epoch: 6), inFlight: 0, now: now) == .serverMapOlder(epoch: 5, retryAfter: .milliseconds(100)))
        #expect(admission.refreshInFlight && admission.parked == 2)
        admission.refreshEnded(now: now)
        #expect(!admission.refreshInFlight && admission.parked == 0)
        // Decided again after the refresh: the map is still older, so no second park.
        #expect(admission.admit(self.request(1, epoch: 6), inFlight: 0, now: now, afterRefresh: true) == .serverMapOlder(epoch: 5, retryAfter: .milliseconds(100)))
        // Too soon after the last refresh for another.
        #expect(admission.admit(self.request(4, epoch: 6), inFlight: 0, now: now.advanced(by: .milliseconds(99))) == .serverMapOlder(epoch: 5, retryAfter: .milliseconds(100)))
        #expect(admission.admit(self.request(4, epoch: 6), inFlight: 0, now: now.advanced(by: .milliseconds(100))) == .park(startRefresh: true))
        admission.refreshEnded(now: now.advanced(by: .milliseconds(100)))
        ownership.decision = .owned(epoch: 6)
        #expect(admission.admit(self.request(4, epoch: 6), inFlight: 0, now: now, afterRefresh: true) == .run(epoch: 6))
    }

    @Test("property: no request runs with its deadline gone, past the in-flight bound, twice while remembered, or on a key the map gives away")
    func properties() async {
        // Each step: a request id (few, so retries are common), the deadline left in ms, whether the
        // map says the key moved, and how far time moves.
        let steps = zip(Gen.int(in: 1...6), Gen.int(in: 0...3), Gen.int(in: 0...9), Gen.int(in: 0...400)).array(of: 1...120)
        await propertyCheck(count: 200, input: steps) { steps in
            let ownership = ScriptedOwnership(.owned(epoch: 1))
            var admission = self.admission(ownership: ownership, entries: 1_000, ttl: .seconds(3600))
            var now = self.start
            var running: [UInt64: UInt64] = [:]
            var ran: Set<UInt64> = []
            var nextJob: UInt64 = 0
            for (id, deadline, moved, advance) in steps {
                now = now.advanced(by: .milliseconds(advance))
                ownership.decision = moved == 0 ? .moved(shardID: "s9", endpoint: "tcp://h:9", epoch: 1) : .owned(epoch: 1)
                // Some steps finish the oldest running job instead of sending a request.
                if advance % 3 == 0, let (runningID, job) = running.min(by: { $0.value < $1.value }) {
                    running[runningID] = nil
                    _ = admission.finished(ReplayCache.Key(clientID: Self.client, requestID: runningID), jobID: job, content: [[1]], status: .ok, now: now)
                    continue
                }
                let request = self.request(UInt64(id), deadline: .milliseconds(deadline))
                let decision = admission.admit(request, inFlight: running.count, now: now)
                switch decision {
                case .run:
                    #expect(deadline > 1)
                    #expect(running.count < Self.limits.maxInFlight)
                    #expect(moved != 0)
                    #expect(!ran.contains(UInt64(id)), "request \(id) ran twice")
                    ran.insert(UInt64(id))
                    nextJob += 1
                    running[UInt64(id)] = nextJob
                    admission.started(request.key, jobID: nextJob)
                case .joinedRunning:
                    #expect(running[UInt64(id)] != nil)
                case .replay:
                    #expect(ran.contains(UInt64(id)) && running[UInt64(id)] == nil)
                case .deadlineExpired:
                    #expect(deadline <= 1)
                case .moved:
                    #expect(moved == 0 && !ran.contains(UInt64(id)))
                case .overloaded:
                    #expect(running.count >= Self.limits.maxInFlight)
                case .wrongShard, .serverMapOlder, .park:
                    Issue.record("unexpected \(decision)")
                }
            }
        }
    }
}
