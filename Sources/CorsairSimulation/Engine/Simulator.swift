import Corsair
import Foundation
import HeapModule

/// Runs a ``SimulationScenario`` in virtual time and reports what its clients saw.
///
/// Each client keeps, per shard, the engine's own `RetryBudget` and `CircuitBreaker` values,
/// and every retry decision asks them, the `RetryPolicy` and its `Backoff` in the order the
/// client engine does. Only the network is modelled: each attempt's reply
/// time is drawn from its shard's ``LatencyProfile`` and the faults in force.
///
/// ```swift
/// let report = Simulator(scenario).run()
/// print(report.successRate, report.amplification)
/// ```
public struct Simulator: Sendable {
    /// The scenario to run.
    public let scenario: SimulationScenario

    /// A simulator for `scenario`.
    public init(_ scenario: SimulationScenario) {
        self.scenario = scenario
    }

    /// Runs the scenario to the end (every request finished) and reports.
    ///
    /// Deterministic: the same scenario and seed give the same report, except ``SimulationReport/wallSeconds``.
    public func run() -> SimulationReport {
        let clock = ContinuousClock()
        let started = clock.now
        var run = SimulationRun(self.scenario)
        run.run()
        return SimulationReport(run.statistics, scenario: self.scenario, virtualEnd: run.now, wall: started.duration(to: clock.now))
    }
}

/// The state of one run: the event queue, the calls in flight, and each client's policy state per shard.
///
/// The decisions mirror `EngineCore` in the Corsair target, question for question:
/// - admission: deposit in the shard's budget, then ask its breaker (a refusal fails the request
///   as "circuit open" without an attempt; a half-open admission is the probe), then send;
/// - a failed attempt (timeout, or an "overloaded" reply): out of attempts? past the deadline?
///   breaker open? budget refuses? then the backoff (raised to a retry-after hint), and whether
///   the deadline leaves room for it;
/// - the end of a request: any reply closes the breaker; a failure after at least one attempt,
///   other than "circuit open", counts against it.
/// Once the engine's decisions live in a state machine of their own, this should drive that
/// instead of mirroring them.
///
/// A struct rather than a class: its arrays are mutated millions of times a run, and a class's
/// stored properties would pay a dynamic exclusivity check on every access.
struct SimulationRun {
    private let scenario: SimulationScenario
    private let policy: RetryPolicy
    private let shardCount: Int
    /// Three streams, so that a change of policy leaves the workload alone: `--compare` runs
    /// see the same requests at the same instants from the same clients.
    private var workloadRandom: SimulationRandom
    private var networkRandom: SimulationRandom
    private var backoffRandom: SimulationRandom
    private let origin = ContinuousClock.now

    private var events = Heap<SimulationEvent>()
    private var sequence: UInt64 = 0
    private(set) var now: Int64 = 0

    private var calls: [SimulatedCall] = []
    private var freeSlots: [Int32] = []

    /// Per (client, shard) that has sent anything: the index into `budgets` and `breakers`.
    private var pairs: [Int: Int32] = [:]
    private var budgets: [RetryBudget] = []
    private var breakers: [CircuitBreaker] = []

    private let attemptTimeout: Int64
    private let deadline: Int64?
    private let latencyTables: [LatencyProfile.SampleTable]
    private let cumulativeWeights: [Double]
    /// Each shard's faults, as plain numbers so that the hot path copies no strings.
    private let faultsByShard: [[FaultWindow]]
    /// Instants where some fault is in force, merged.
    private let faultWindows: [(start: Int64, end: Int64)]

    // Open workload.
    private var arrivalEnd: Int64 = 0
    private var meanGap: Double = 0
    private var clientCount = 1
    // Closed workload.
    private var nextTicket = 0

    private(set) var statistics: SimulationStatistics

    init(_ scenario: SimulationScenario) {
        self.scenario = scenario
        self.policy = scenario.policy
        self.shardCount = scenario.shardIDs.count
        self.workloadRandom = SimulationRandom(seed: scenario.seed)
        self.networkRandom = SimulationRandom(seed: scenario.seed ^ 0x6E65_7477_6F72_6B00)
        self.backoffRandom = SimulationRandom(seed: scenario.seed ^ 0x6261_636B_6F66_6600)
        self.attemptTimeout = max(1, scenario.policy.attemptTimeout.nanosecondsClamped)
        self.deadline = scenario.policy.deadline.map { max(1, $0.nanosecondsClamped) }
        self.latencyTables = scenario.latency.map(\.table)
        var running = 0.0
        self.cumulativeWeights = scenario.shardWeights.map {
            running += $0
            return running
        }
        var byShard = Array(repeating: [FaultWindow](), count: scenario.shardIDs.count)
        for fault in scenario.faults {
            byShard[fault.shard].append(FaultWindow(fault))
        }
        self.faultsByShard = byShard
        self.faultWindows = Self.merged(scenario.faults.map { ($0.startNanoseconds, $0.endNanoseconds) })
        self.statistics = SimulationStatistics(faults: scenario.faults)
    }

    mutating func run() {
        switch self.scenario.workload {
        case .open(let clients, let rate, let duration):
            self.clientCount = clients
            self.arrivalEnd = duration.nanosecondsClamped
            self.meanGap = 1e9 / (Double(clients) * rate)
            // Room for the (client, shard) pairs the run can touch, so that the policy tables are
            // not copied as they grow; at most one pair per expected request.
            let expected = min(Double(clients) * Double(self.shardCount), Double(clients) * rate * (duration / .seconds(1)) * 1.05, 16e6)
            self.reservePairs(Int(expected))
            self.scheduleNextArrival()
        case .closed(let concurrency, let requests, _):
            for worker in 0..<min(concurrency, requests) {
                self.startClosedRequest(worker: Int32(worker))
            }
        }
        while let event = self.events.popMin() {
            self.now = event.time
            self.statistics.events += 1
            switch event.kind {
            case .arrival: self.arrive()
            case .reply: self.replyArrived(Int(event.slot))
            case .timeout: self.attemptTimedOut(Int(event.slot))
            case .retry: self.send(Int(event.slot))
            }
        }
    }

    // MARK: Workload

    private mutating func scheduleNextArrival() {
        // Poisson arrivals of all clients together: exponential gaps, each request from a uniform client.
        let gap = -self.meanGap * log(1 - self.workloadRandom.unit())
        let time = self.now &+ max(1, Int64(gap.rounded()))
        guard time < self.arrivalEnd else { return }
        self.schedule(.arrival, at: time, slot: -1)
    }

    private mutating func arrive() {
        let client = Int(self.workloadRandom.next() % UInt64(self.clientCount))
        let shard = self.pickShard()
        self.admit(client: client, shard: shard, worker: -1)
        self.scheduleNextArrival()
    }

    private mutating func pickShard() -> Int {
        let u = self.workloadRandom.unit()
        var low = 0
        var high = self.cumulativeWeights.count - 1
        while low < high {
            let middle = (low + high) / 2
            if self.cumulativeWeights[middle] > u { high = middle } else { low = middle + 1 }
        }
        return low
    }

    private mutating func startClosedRequest(worker: Int32) {
        guard case .closed(_, let requests, let keys) = self.scenario.workload, self.nextTicket < requests else { return }
        let shard = self.scenario.keyShards[self.nextTicket % keys]
        self.nextTicket += 1
        self.admit(client: 0, shard: shard, worker: worker)
    }

    // MARK: The engine's decisions

    private mutating func admit(client: Int, shard: Int, worker: Int32) {
        let slot = self.allocateSlot()
        let pair = self.pairIndex(client: client, shard: shard)
        var call = SimulatedCall()
        call.client = Int32(client)
        call.shard = Int32(shard)
        call.pair = pair
        call.worker = worker
        call.submittedAt = self.now
        if let deadline = self.deadline {
            let (end, overflow) = self.now.addingReportingOverflow(deadline)
            call.overallDeadline = overflow ? .max : end
        }
        call.shardFaulted = self.faultsByShard[shard].contains { self.now >= $0.start && self.now < $0.end }
        call.shardDown = self.isDown(shard: shard, at: self.now)
        call.anyFault = self.faultWindows.contains { self.now >= $0.start && self.now < $0.end }
        self.calls[Int(slot)] = call
        self.statistics.admitted(call)

        let instant = self.instant(self.now)
        if self.policy.budget != nil {
            self.budgets.withUnsafeMutableBufferPointer { $0[Int(pair)].recordRequest(now: instant) }
        }
        if self.policy.circuitBreaker != nil {
            let (allowed, halfOpen) = self.breakers.withUnsafeMutableBufferPointer { breakers in
                let allowed = breakers[Int(pair)].allowRequest(now: instant)
                if case .halfOpen = breakers[Int(pair)].state { return (allowed, true) }
                return (allowed, false)
            }
            guard allowed else {
                self.finish(Int(slot), .circuitOpen)
                return
            }
            if halfOpen {
                self.calls[Int(slot)].isBreakerProbe = true
            }
        }
        self.send(Int(slot))
    }

    /// Sends the call's next attempt: draws when (and whether) its reply comes, and schedules
    /// whichever comes first, the reply or the attempt deadline.
    private mutating func send(_ slot: Int) {
        self.calls[slot].attempt += 1
        self.statistics.attemptSent(self.calls[slot])
        var attemptDeadline = self.now &+ self.attemptTimeout
        if self.calls[slot].overallDeadline < attemptDeadline {
            attemptDeadline = self.calls[slot].overallDeadline
        }
        self.drawReply(slot)
        if self.calls[slot].replyAt < attemptDeadline {
            self.schedule(.reply, at: self.calls[slot].replyAt, slot: slot)
        } else {
            self.schedule(.timeout, at: attemptDeadline, slot: slot)
        }
    }

    private mutating func replyArrived(_ slot: Int) {
        self.calls[slot].gotReply = true
        self.calls[slot].replyAt = .max
        if self.calls[slot].replyOverloaded {
            self.attemptFailed(slot, retryAfter: self.calls[slot].retryAfter)
        } else {
            self.finish(slot, .succeeded)
        }
    }

    private mutating func attemptTimedOut(_ slot: Int) {
        self.attemptFailed(slot, retryAfter: nil)
    }

    private mutating func attemptFailed(_ slot: Int, retryAfter: Int64?) {
        let call = self.calls[slot]
        guard Int(call.attempt) < self.policy.attempts else {
            self.finish(slot, retryAfter != nil ? .overloaded : .abandoned)
            return
        }
        if self.now >= call.overallDeadline {
            self.finish(slot, .abandoned)
            return
        }
        let instant = self.instant(self.now)
        if self.policy.circuitBreaker != nil, case .open(let until) = self.breakers[Int(call.pair)].state, until > instant {
            self.finish(slot, .circuitOpen)
            return
        }
        if self.policy.budget != nil, !self.budgets.withUnsafeMutableBufferPointer({ $0[Int(call.pair)].tryWithdraw(now: instant) }) {
            self.finish(slot, .budgetExhausted)
            return
        }
        let previous: Duration? = call.previousDelay >= 0 ? .nanoseconds(call.previousDelay) : nil
        var delay = self.policy.backoff.delay(beforeRetry: Int(call.attempt), previous: previous, using: &self.backoffRandom).nanosecondsClamped
        if let retryAfter, retryAfter > delay {
            delay = retryAfter
        }
        let retryAt = self.now &+ delay
        if retryAt >= call.overallDeadline {
            self.finish(slot, retryAfter != nil ? .overloaded : .abandoned)
            return
        }
        self.calls[slot].previousDelay = delay
        // Resend mode keeps the socket, so the timed-out attempt's reply still counts if it comes
        // before the retry goes out; recreate mode closed that socket.
        if self.policy.mode == .resend, call.replyAt < retryAt {
            self.schedule(.reply, at: call.replyAt, slot: slot)
        } else {
            self.schedule(.retry, at: retryAt, slot: slot)
        }
    }

    private mutating func finish(_ slot: Int, _ ending: SimulatedCall.Ending) {
        let call = self.calls[slot]
        if self.policy.circuitBreaker != nil {
            let instant = self.instant(self.now)
            self.breakers.withUnsafeMutableBufferPointer { breakers in
                if call.gotReply {
                    breakers[Int(call.pair)].recordSuccess(now: instant)
                } else if ending != .circuitOpen, call.attempt > 0 {
                    breakers[Int(call.pair)].recordFailure(now: instant)
                }
            }
        }
        self.statistics.finished(call, ending, at: self.now)
        self.freeSlots.append(Int32(slot))
        if call.worker >= 0 {
            self.startClosedRequest(worker: call.worker)
        }
    }

    // MARK: The network

    /// Draws the reply of an attempt sent now: a down shard holds it until the fault ends, a
    /// slow one adds its delay, an overloaded one may answer "overloaded".
    private mutating func drawReply(_ slot: Int) {
        let shard = Int(self.calls[slot].shard)
        let faults = self.faultsByShard[shard]
        var served = self.now
        if !faults.isEmpty {
            var moved = true
            while moved && served != .max {
                moved = false
                for entry in faults where entry.isDown && served >= entry.start && served < entry.end {
                    served = entry.end
                    moved = true
                }
            }
        }
        self.calls[slot].replyOverloaded = false
        guard served != .max else {
            self.calls[slot].replyAt = .max
            return
        }
        var latency = self.latencyTables[shard].sample(self.networkRandom.unit())
        for entry in faults where served >= entry.start && served < entry.end {
            latency &+= entry.extraLatency
            if entry.overloadShare > 0, entry.overloadShare >= 1 || self.networkRandom.unit() < entry.overloadShare {
                self.calls[slot].replyOverloaded = true
                self.calls[slot].retryAfter = entry.retryAfter
            }
        }
        let (replyAt, overflow) = served.addingReportingOverflow(max(0, latency))
        self.calls[slot].replyAt = overflow ? .max : replyAt
    }

    private func isDown(shard: Int, at time: Int64) -> Bool {
        self.faultsByShard[shard].contains { $0.isDown && time >= $0.start && time < $0.end }
    }

    // MARK: Bookkeeping

    private mutating func schedule(_ kind: SimulationEvent.Kind, at time: Int64, slot: Int) {
        self.sequence &+= 1
        self.events.insert(SimulationEvent(time: time, sequence: self.sequence, kind: kind, slot: Int32(truncatingIfNeeded: slot)))
    }

    private mutating func allocateSlot() -> Int32 {
        if let slot = self.freeSlots.popLast() { return slot }
        self.calls.append(SimulatedCall())
        return Int32(self.calls.count - 1)
    }

    private mutating func reservePairs(_ count: Int) {
        self.pairs.reserveCapacity(count)
        if self.policy.budget != nil { self.budgets.reserveCapacity(count) }
        if self.policy.circuitBreaker != nil { self.breakers.reserveCapacity(count) }
    }

    /// The client's policy state for the shard, made on first use as the engine makes a pool.
    private mutating func pairIndex(client: Int, shard: Int) -> Int32 {
        let key = client &* self.shardCount &+ shard
        if let index = self.pairs[key] { return index }
        let index = Int32(self.pairs.count)
        self.pairs[key] = index
        if let budget = self.policy.budget {
            self.budgets.append(RetryBudget(configuration: budget))
        }
        if let breaker = self.policy.circuitBreaker {
            self.breakers.append(CircuitBreaker(configuration: breaker))
        }
        return index
    }

    private func instant(_ time: Int64) -> ContinuousClock.Instant {
        self.origin.advanced(by: .nanoseconds(time))
    }

    private static func merged(_ windows: [(Int64, Int64)]) -> [(start: Int64, end: Int64)] {
        var result: [(start: Int64, end: Int64)] = []
        for (start, end) in windows.sorted(by: { $0.0 < $1.0 }) {
            if let last = result.last, start <= last.end {
                result[result.count - 1].end = max(last.end, end)
            } else {
                result.append((start, end))
            }
        }
        return result
    }
}

/// A fault as the hot path needs it: its window and effects as plain numbers.
struct FaultWindow {
    let start: Int64
    let end: Int64
    let isDown: Bool
    /// Added to each reply's time, nanoseconds.
    let extraLatency: Int64
    /// The share of replies that say "overloaded"; 0 for other faults.
    let overloadShare: Double
    let retryAfter: Int64

    init(_ fault: Fault) {
        self.start = fault.startNanoseconds
        self.end = fault.endNanoseconds
        switch fault.kind {
        case .down:
            (self.isDown, self.extraLatency, self.overloadShare, self.retryAfter) = (true, 0, 0, 0)
        case .slow(let extra):
            (self.isDown, self.extraLatency, self.overloadShare, self.retryAfter) = (false, extra.nanosecondsClamped, 0, 0)
        case .overload(let share, let retryAfter):
            (self.isDown, self.extraLatency, self.overloadShare, self.retryAfter) = (false, 0, share, retryAfter.nanosecondsClamped)
        }
    }
}
