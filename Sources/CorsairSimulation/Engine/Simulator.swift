import Corsair
import Foundation
import HeapModule
import UnitText

/// Runs a ``SimulationScenario`` in virtual time and reports what its clients saw.
///
/// Every decision about a request is the client engine's own: the run drives Corsair's
/// `EngineStateMachine` (admission, attempts, timeouts, replies and pushbacks, backoff, giving
/// up) with each client's `RetryBudget` and `CircuitBreaker` per shard, as `EngineCore` drives it
/// with real sockets. Only the network is modelled: each attempt's reply time is drawn from its
/// shard's ``LatencyProfile`` and the faults in force.
///
/// In pipelined mode each client has one connection per shard, as the engine has one per
/// endpoint: a timed-out request is resent on it with the same request id (so its first attempt's
/// reply, should it come, still answers it), any reply on it is a sign of life, and a request whose attempt deadline
/// finds it silent for a whole attempt timeout has it rebuilt, which ends the attempt of every
/// request in flight on it (`EngineStateMachine.connectionLost`).
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
/// It plays `EngineCore`'s part for `EngineStateMachine`: it reports what happened to a call
/// (admitted, about to send, timed out, replied, backoff over, ended) and does what the machine
/// answers; it decides nothing about a request itself, so the simulator cannot drift from the
/// engine. Its own parts are what the engine leaves to sockets and timers: virtual time (integer
/// nanoseconds from an origin instant), the event queue, and the network. Every call gets a
/// socket at once (the engine's per-endpoint socket limit is not modelled), so ``EngineStateMachine/Next/dispatch``
/// sends at once; in pipelined mode that socket is the pair's one connection.
///
/// A struct rather than a class: its arrays are mutated millions of times a run, and a class's
/// stored properties would pay a dynamic exclusivity check on every access.
struct SimulationRun {
    private let scenario: SimulationScenario
    private let policy: RetryPolicy
    private let pipelined: Bool
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

    /// The engine's decisions; it never closes during a run.
    private var machine = EngineStateMachine()
    private var calls: [SimulatedCall] = []
    /// The engine's state of each call, by the same slot as `calls`.
    private var decisions: [EngineStateMachine.Call] = []
    private var freeSlots: [Int32] = []

    /// Per (client, shard) that has sent anything: the index into `guards`.
    private var pairs: [Int: Int32] = [:]
    /// Each pair's retry budget and breaker, as an engine keeps them per endpoint pool.
    private var guards: [EngineStateMachine.Guards] = []
    /// Pipelined mode: each pair's connection, by the same index as `guards`.
    private var connections: [SimulatedConnection] = []
    private var nextConnectionID: Int32 = 0
    private var nextRequestID: Int64 = 0
    /// The name each shard's calls carry in the engine's state: the shard id, short enough to be
    /// stored inline, so that copying a call touches no reference count.
    private let endpoints: [String]
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
        self.pipelined = scenario.policy.mode == .pipelined
        self.shardCount = scenario.shardIDs.count
        self.workloadRandom = SimulationRandom(seed: scenario.seed)
        self.networkRandom = SimulationRandom(seed: scenario.seed ^ 0x6E65_7477_6F72_6B00)
        self.backoffRandom = SimulationRandom(seed: scenario.seed ^ 0x6261_636B_6F66_6600)
        self.endpoints = scenario.shardIDs
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
            case .stray: self.strayArrived(pair: Int(event.slot), connection: Int32(bitPattern: event.token))
            case _ where self.calls[Int(event.slot)].token != event.token: continue
            case .reply: self.replyArrived(Int(event.slot))
            case .timeout: self.attemptTimedOut(Int(event.slot))
            case .retry: self.retryDue(Int(event.slot))
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

    // MARK: Driving the engine's decisions

    private mutating func admit(client: Int, shard: Int, worker: Int32) {
        let slot = Int(self.allocateSlot())
        let pair = Int(self.pairIndex(client: client, shard: shard))
        let now = self.instant(self.now)
        self.decisions[slot] = EngineStateMachine.Call(policy: self.policy, endpoint: self.endpoints[shard], submittedAt: now)
        var call = SimulatedCall()
        // A slot's events count on across its calls, so a stale one of an earlier call stays stale.
        call.token = self.calls[slot].token
        call.requestID = self.nextRequestID
        self.nextRequestID += 1
        call.client = Int32(client)
        call.shard = Int32(shard)
        call.pair = Int32(pair)
        call.worker = worker
        call.submittedAt = self.now
        call.shardFaulted = self.faultsByShard[shard].contains { self.now >= $0.start && self.now < $0.end }
        call.shardDown = self.isDown(shard: shard, at: self.now)
        call.anyFault = self.faultWindows.contains { self.now >= $0.start && self.now < $0.end }
        self.calls[slot] = call
        self.statistics.admitted(call)
        let next = self.machine.admit(&self.decisions[slot], guards: &self.guards[pair], cancelled: false, now: now)
        self.perform(next, slot)
    }

    /// Does what the machine answered, as `EngineCore.perform` does.
    private mutating func perform(_ next: EngineStateMachine.Next, _ slot: Int) {
        switch next {
        case .dispatch:
            self.send(slot)
        case .retry(let at):
            let retryAt = self.nanoseconds(at)
            self.calls[slot].retryAt = retryAt
            // Resend and pipelined modes keep the socket, so the timed-out attempt's reply still
            // counts if it comes before the retry goes out (the machine takes a reply while backing
            // off); recreate mode closed that socket, and a call that left its connection (or saw it
            // rebuilt) has no reply coming (`replyAt` is `.max`).
            if self.policy.mode != .recreate, self.calls[slot].replyAt < retryAt {
                self.schedule(.reply, at: self.calls[slot].replyAt, slot: slot)
            } else {
                self.schedule(.retry, at: retryAt, slot: slot)
            }
        case .fail(let error):
            self.finish(slot, failure: error.code)
        case .succeed:
            self.finish(slot, failure: nil)
        case .send:
            // Only `sending` answers this, and `send(_:)` handles it there.
            break
        }
    }

    /// Sends the call's next attempt if the machine allows: draws when (and whether) its reply
    /// comes, and schedules whichever comes first, the reply or the attempt deadline.
    private mutating func send(_ slot: Int) {
        let next = self.machine.sending(&self.decisions[slot], newAttempt: true, now: self.instant(self.now))
        guard case .send(let deadline) = next else {
            self.perform(next, slot)
            return
        }
        let attemptDeadline = self.nanoseconds(deadline)
        self.calls[slot].attempt = Int32(self.decisions[slot].attempt)
        self.statistics.attemptSent(self.calls[slot])
        if self.pipelined {
            self.sendPipelined(slot)
        } else {
            self.drawReply(slot)
        }
        if self.calls[slot].replyAt < attemptDeadline {
            self.schedule(.reply, at: self.calls[slot].replyAt, slot: slot)
        } else {
            self.schedule(.timeout, at: attemptDeadline, slot: slot)
        }
    }

    private mutating func replyArrived(_ slot: Int) {
        self.calls[slot].replyAt = .max
        let outcome: EngineStateMachine.ReplyOutcome = self.calls[slot].replyOverloaded
            ? .pushback(retryAfter: .nanoseconds(self.calls[slot].retryAfter), reason: "server overloaded", olderServerEpoch: nil)
            : .ok
        let pair = Int(self.calls[slot].pair)
        if self.pipelined {
            // Any reply is a sign of life of the connection it came on.
            self.connections[pair].lastSignOfLife = self.now
        }
        let (socket, next) = self.machine.replied(
            &self.decisions[slot],
            outcome,
            guards: &self.guards[pair],
            using: &self.backoffRandom,
            now: self.instant(self.now)
        )
        if socket != .keep {
            self.leaveConnection(slot)
        }
        self.perform(next, slot)
    }

    private mutating func attemptTimedOut(_ slot: Int) {
        let pair = Int(self.calls[slot].pair)
        // As `EngineCore` does: the deadline of a request on a pipelined connection first asks
        // whether the connection itself is dead, and rebuilds it if so.
        if self.pipelined, self.calls[slot].connection >= 0, self.calls[slot].connection == self.connections[pair].id,
           self.machine.connectionIsSilent(
               lastSignOfLife: self.instant(self.connections[pair].lastSignOfLife),
               now: self.instant(self.now),
               attemptTimeout: self.policy.attemptTimeout
           ) {
            self.rebuild(pair: pair, timedOut: slot)
        }
        let (socket, next) = self.machine.attemptTimedOut(
            &self.decisions[slot],
            guards: &self.guards[pair],
            using: &self.backoffRandom,
            now: self.instant(self.now)
        )
        if socket != .keep {
            self.leaveConnection(slot)
        }
        self.perform(next, slot)
    }

    private mutating func retryDue(_ slot: Int) {
        self.perform(self.machine.retryDue(&self.decisions[slot], now: self.instant(self.now)), slot)
    }

    private mutating func finish(_ slot: Int, failure: CorsairError.Code?) {
        let pair = Int(self.calls[slot].pair)
        guard self.machine.finished(&self.decisions[slot], failure: failure, guards: &self.guards[pair], now: self.instant(self.now)) else {
            return
        }
        if self.calls[slot].connection >= 0 {
            // Its reply, should one still come, arrives as a stray: a sign of life all the same.
            if self.calls[slot].replyAt != .max {
                self.scheduleStray(pair: pair, connection: self.calls[slot].connection, at: self.calls[slot].replyAt)
            }
            self.leaveConnection(slot)
        }
        let call = self.calls[slot]
        self.statistics.finished(call, failure: failure, at: self.now)
        self.freeSlots.append(Int32(slot))
        if call.worker >= 0 {
            self.startClosedRequest(worker: call.worker)
        }
    }

    // MARK: Pipelined connections

    /// Puts the call's attempt on its pair's connection, opening one if there is none. A call
    /// already outstanding there is a resend with the same request id: the server answers it
    /// from the run the first attempt started, so its reply keeps its time.
    private mutating func sendPipelined(_ slot: Int) {
        let pair = Int(self.calls[slot].pair)
        if !self.connections[pair].isOpen {
            self.connections[pair].id = self.nextConnectionID
            self.nextConnectionID &+= 1
            self.connections[pair].lastSignOfLife = self.now
        }
        guard self.calls[slot].connection != self.connections[pair].id else { return }
        if self.connections[pair].outstanding.isEmpty {
            self.connections[pair].lastSignOfLife = self.now
        }
        self.calls[slot].connection = self.connections[pair].id
        self.calls[slot].connectionIndex = Int32(self.connections[pair].outstanding.count)
        self.connections[pair].outstanding.append(Int32(slot))
        self.drawReply(slot)
    }

    /// Closes the pair's silent connection, as `EngineCore` rebuilds one: replies still on their
    /// way to it are lost; every other request in flight on it has its attempt end
    /// (`connectionLost`), in request-id order; requests backing off resend on the next connection
    /// when due. The request whose deadline found it silent goes on through `attemptTimedOut`.
    private mutating func rebuild(pair: Int, timedOut: Int) {
        let silentFor = Duration.nanoseconds(self.now - self.connections[pair].lastSignOfLife)
        var slots = self.connections[pair].outstanding
        self.connections[pair].id = -1
        self.connections[pair].outstanding.removeAll(keepingCapacity: true)
        self.statistics.connectionsRebuilt += 1
        self.statistics.rebuildFailedAttempts += 1
        slots.sort { self.calls[Int($0)].requestID < self.calls[Int($1)].requestID }
        for slot in slots {
            self.calls[Int(slot)].connection = -1
            self.calls[Int(slot)].replyAt = .max
        }
        let now = self.instant(self.now)
        for slot in slots.lazy.map({ Int($0) }) where slot != timedOut {
            switch self.decisions[slot].state {
            case .inFlight:
                self.statistics.rebuildFailedAttempts += 1
                // Its deadline or reply event is void now.
                self.calls[slot].token &+= 1
                let next = self.machine.connectionLost(
                    &self.decisions[slot],
                    silentFor: silentFor,
                    guards: &self.guards[Int(self.calls[slot].pair)],
                    using: &self.backoffRandom,
                    now: now
                )
                self.perform(next, slot)
            case .backingOff:
                // A late reply it waited for is lost: the retry is what comes next.
                self.schedule(.retry, at: self.calls[slot].retryAt, slot: slot)
            default:
                break
            }
        }
    }

    /// The call leaves the connection it was outstanding on, and any reply it waited for there.
    private mutating func leaveConnection(_ slot: Int) {
        let id = self.calls[slot].connection
        guard id >= 0 else { return }
        self.calls[slot].connection = -1
        self.calls[slot].replyAt = .max
        let pair = Int(self.calls[slot].pair)
        guard self.connections[pair].id == id else { return }
        let index = Int(self.calls[slot].connectionIndex)
        let last = self.connections[pair].outstanding.removeLast()
        if Int(last) != slot {
            self.connections[pair].outstanding[index] = last
            self.calls[Int(last)].connectionIndex = Int32(index)
        }
    }

    private mutating func strayArrived(pair: Int, connection: Int32) {
        if self.connections[pair].id == connection {
            self.connections[pair].lastSignOfLife = self.now
        }
    }

    private mutating func scheduleStray(pair: Int, connection: Int32, at time: Int64) {
        self.sequence &+= 1
        self.events.insert(SimulationEvent(time: time, sequence: self.sequence, kind: .stray, slot: Int32(pair), token: UInt32(bitPattern: connection)))
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

    /// Schedules the call's next event, which voids any it had: a call waits for one thing at a time.
    private mutating func schedule(_ kind: SimulationEvent.Kind, at time: Int64, slot: Int) {
        self.sequence &+= 1
        var token: UInt32 = 0
        if slot >= 0 {
            self.calls[slot].token &+= 1
            token = self.calls[slot].token
        }
        self.events.insert(SimulationEvent(time: time, sequence: self.sequence, kind: kind, slot: Int32(truncatingIfNeeded: slot), token: token))
    }

    private mutating func allocateSlot() -> Int32 {
        if let slot = self.freeSlots.popLast() { return slot }
        self.calls.append(SimulatedCall())
        self.decisions.append(EngineStateMachine.Call(policy: self.policy, endpoint: "", submittedAt: self.origin))
        return Int32(self.calls.count - 1)
    }

    private mutating func reservePairs(_ count: Int) {
        self.pairs.reserveCapacity(count)
        self.guards.reserveCapacity(count)
        if self.pipelined {
            self.connections.reserveCapacity(count)
        }
    }

    /// The client's policy state for the shard, made on first use as the engine makes a pool.
    private mutating func pairIndex(client: Int, shard: Int) -> Int32 {
        let key = client &* self.shardCount &+ shard
        if let index = self.pairs[key] { return index }
        let index = Int32(self.pairs.count)
        self.pairs[key] = index
        self.guards.append(EngineStateMachine.Guards(policy: self.policy))
        if self.pipelined {
            self.connections.append(SimulatedConnection())
        }
        return index
    }

    private func instant(_ time: Int64) -> ContinuousClock.Instant {
        self.origin.advanced(by: .nanoseconds(time))
    }

    /// An instant the machine answered, as nanoseconds of the run.
    private func nanoseconds(_ instant: ContinuousClock.Instant) -> Int64 {
        self.origin.duration(to: instant).nanosecondsClamped
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
