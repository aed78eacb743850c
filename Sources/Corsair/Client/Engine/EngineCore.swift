import CoreMetrics
import DequeModule
import Logging
import UnitText
import ZeroMQ

/// The I/O thread's side of a ``ClientEngine``: every socket, pool, call and timer.
///
/// Made on the I/O thread and used only there, so none of it needs locks: callers reach it through
/// the ``EngineInbox`` and a ``Wakeup``, and it reaches them through each call's completion.
///
/// The loop polls each socket's `ZMQ_FD` with one plain `poll`, not the sockets with `zmq_poll`:
/// `zmq_poll` costs a few system calls per socket on every call, so with many sockets in flight
/// the loop spent its time asking idle sockets for events. A socket's events are read only when
/// its descriptor fires or an operation on it may have consumed the descriptor's signal.
final class EngineCore {
    private let configuration: ClientEngine.Configuration
    private let context: Context
    private let inbox: EngineInbox
    private let executor: UnownedTaskExecutor
    private let clientID: ClientID
    private let keyPair: CurveKeyPair?
    private var logger: Logger
    private var metrics: EngineMetrics
    private let clock = ContinuousClock()
    private var random = SystemRandomNumberGenerator()
    /// Every decision about a call: the loop reports what happened and performs what it answers.
    private var machine = EngineStateMachine()

    private var pools: [EndpointPool.Key: EndpointPool] = [:]
    private var calls = CallTable()
    private var openSockets: [ObjectIdentifier: ClientSocket] = [:]
    private var timers = EngineTimerQueue()
    private var timerSequence: UInt64 = 0

    private var poller = Poller()
    /// The socket behind each poller index after the wake-up: its own descriptor or its monitor's.
    private var pollEntries: [ClientSocket] = []
    /// Connections watched for drops (heartbeats on), whose monitors follow `pollEntries` in the
    /// poller: read only when their descriptor fires, never on a socket's check.
    private var watchedMonitors: [ClientSocket] = []
    private var pollerDirty = true
    /// Sockets whose events must be read before the loop may wait.
    private var unchecked: [ClientSocket] = []
    /// The sockets being checked by a pass that leaves later ones for the next (kept to reuse its buffer).
    private var checking: [ClientSocket] = []
    /// Jobs of tasks running on the engine's executor, taken from the inbox a batch at a time.
    private var jobs: [UnownedJob] = []
    /// Calls and cancellations taken from the inbox, kept so their buffers are reused.
    private var submissions: Deque<PendingCall.Submission> = []
    private var cancellations: [CancellationFlag] = []
    /// The pool the last admitted call went to: consecutive calls mostly go to the same endpoint,
    /// and comparing its key is cheaper than hashing the endpoint's address again.
    private var lastPool: EndpointPool?
    /// Reads every reply, reusing one message for its frames.
    private let replyReader = ReplyReader()
    /// The request header being encoded, kept so that its buffer is reused by every send.
    private var headerFrame: [UInt8] = []

    init(
        configuration: ClientEngine.Configuration,
        context: Context,
        inbox: EngineInbox,
        executor: EngineExecutor,
        clientID: ClientID,
        keyPair: CurveKeyPair?
    ) {
        self.configuration = configuration
        self.context = context
        self.inbox = inbox
        self.executor = executor.asUnownedTaskExecutor()
        self.clientID = clientID
        self.keyPair = keyPair
        self.logger = configuration.logger
        self.logger[metadataKey: "client-id"] = "\(clientID)"
        self.metrics = EngineMetrics(prefix: configuration.metricsPrefix)
    }

    // MARK: The loop

    /// Runs until the engine closes, then fails what is left and closes every socket.
    func run() {
        self.inbox.attachIOThread()
        while true {
            // A socket received from here is checked again only before the wait: by then it has
            // usually sent the next request too, and one check covers both operations.
            self.checkSockets(untilNoneLeft: false)
            self.runJobs()
            let closing = self.inbox.take(calls: &self.submissions, cancellations: &self.cancellations)
            if closing { break }
            while let submission = self.submissions.popFirst() {
                self.admit(submission)
            }
            for flag in self.cancellations {
                self.cancel(flag)
            }
            self.cancellations.removeAll(keepingCapacity: true)
            self.fireDueTimers()
            // Sends and receives above may have consumed their sockets' signals: read the events
            // now, or the poll below could sleep through a reply that is already here.
            self.checkSockets(untilNoneLeft: true)
            self.rebuildPollerIfNeeded()
            // Work queued from this thread sends no wake-up; look for it before waiting.
            let timeout = self.inbox.hasWork ? .zero : self.nextTimeout()
            let ready: Int
            do {
                ready = try self.poller.poll(timeout: timeout)
            } catch {
                if error.code == .terminated { break }
                self.logger.error("zmq_poll failed", metadata: ["error": "\(error)"])
                continue
            }
            if ready > 0 {
                self.handlePollResults()
            }
        }
        self.shutdown()
    }

    private func rebuildPollerIfNeeded() {
        guard self.pollerDirty else { return }
        self.pollerDirty = false
        self.poller.removeAll()
        self.pollEntries.removeAll(keepingCapacity: true)
        self.poller.add(fileDescriptor: self.inbox.wakeup.readDescriptor, events: .readable)
        // Idle sockets cost nothing in a plain poll, so every open socket stays registered and
        // the poller only changes when a socket opens or closes.
        for socket in self.openSockets.values {
            self.poller.add(fileDescriptor: socket.signalDescriptor, events: .readable)
            self.pollEntries.append(socket)
            if let descriptor = socket.monitorDescriptor, !socket.watchesConnection {
                self.poller.add(fileDescriptor: descriptor, events: .readable)
                self.pollEntries.append(socket)
            }
        }
        self.watchedMonitors.removeAll(keepingCapacity: true)
        for socket in self.openSockets.values where socket.watchesConnection {
            guard let descriptor = socket.monitorDescriptor else { continue }
            self.poller.add(fileDescriptor: descriptor, events: .readable)
            self.watchedMonitors.append(socket)
        }
    }

    private func handlePollResults() {
        if self.poller.events(at: 0).contains(.readable) {
            self.inbox.wakeup.drain()
        }
        for (offset, socket) in self.pollEntries.enumerated()
        where self.poller.events(at: offset + 1).contains(.readable) {
            self.needsCheck(socket)
        }
        let first = self.pollEntries.count + 1
        for (offset, socket) in self.watchedMonitors.enumerated()
        where self.poller.events(at: first + offset).contains(.readable) && !socket.socket.isClosed {
            self.handleMonitorEvents(socket)
        }
    }

    /// Queues a socket for ``checkSockets()``: its descriptor fired, or an operation on it may
    /// have consumed the descriptor's signal.
    private func needsCheck(_ socket: ClientSocket) {
        guard !socket.needsCheck else { return }
        socket.needsCheck = true
        self.unchecked.append(socket)
    }

    /// Reads the events of the queued sockets and handles what is ready.
    ///
    /// Each check costs system calls inside libzmq, so they are worth sparing.
    /// - Parameter untilNoneLeft: Also check the sockets queued while checking, as the loop must
    ///   before it waits; otherwise they stay queued for the next call.
    private func checkSockets(untilNoneLeft: Bool) {
        if untilNoneLeft {
            while let socket = self.unchecked.popLast() {
                self.check(socket)
            }
            return
        }
        swap(&self.checking, &self.unchecked)
        for socket in self.checking {
            self.check(socket)
        }
        self.checking.removeAll(keepingCapacity: true)
    }

    private func check(_ socket: ClientSocket) {
        socket.needsCheck = false
        // Handling an earlier socket may have closed this one.
        guard !socket.socket.isClosed else { return }
        // A watched connection's monitor, once past the handshake, is read when its descriptor fires:
        // reading it on every check would cost a system call per request. (Until a first read finds
        // it empty, libzmq does not signal the descriptor, hence the checks here before that.)
        if !(socket.watchesConnection && socket.handshakeSucceeded), let monitor = socket.monitor,
           (try? monitor.socket.events)?.contains(.readable) == true {
            self.handleMonitorEvents(socket)
            guard !socket.socket.isClosed else { return }
        }
        guard let events = try? socket.socket.events else { return }
        if events.contains(.readable) {
            self.handleReadable(socket)
        }
        if socket.isPipelined, !socket.sendQueue.isEmpty, events.contains(.writable), !socket.socket.isClosed {
            self.flushSendQueue(socket)
            self.needsCheck(socket)
        }
    }

    /// Runs the jobs of tasks on the engine's executor that were queued before this call. Jobs
    /// they queue in turn wait for the next pass, so a task that keeps yielding cannot starve
    /// the sockets.
    private func runJobs() {
        self.inbox.takeJobs(into: &self.jobs)
        for job in self.jobs {
            job.runSynchronously(on: self.executor)
        }
        self.jobs.removeAll(keepingCapacity: true)
    }

    // MARK: Timers

    private func schedule(_ call: PendingCall, at deadline: ContinuousClock.Instant, _ kind: EngineTimer.Kind) {
        self.timerSequence &+= 1
        call.timerSequence = self.timerSequence
        self.timers.insert(EngineTimer(deadline: deadline, sequence: self.timerSequence, slot: call.slot, kind: kind))
    }

    /// The call a timer is for, or `nil` when the timer is stale: its call ended or set a later timer.
    private func liveCall(of timer: EngineTimer) -> PendingCall? {
        guard let call = self.calls[timer.slot], call.timerSequence == timer.sequence else { return nil }
        return call
    }

    private func nextTimeout() -> Duration? {
        guard let top = self.timers.removeStale(while: { self.liveCall(of: $0) == nil }) else { return nil }
        let wait = self.clock.now.duration(to: top.deadline)
        return wait > .zero ? wait : .zero
    }

    private func fireDueTimers() {
        let now = self.clock.now
        while let top = self.timers.min, top.deadline <= now {
            self.timers.removeMin()
            guard let call = self.liveCall(of: top) else { continue }
            switch top.kind {
            case .attemptDeadline:
                guard call.state == .inFlight else { continue }
                self.attemptTimedOut(call)
            case .retry:
                guard call.state == .backingOff else { continue }
                self.retry(call)
            case .overallDeadline:
                guard call.state == .waitingForSocket else { continue }
                call.pool.waiting.removeAll { $0 === call }
                self.perform(self.machine.waitingDeadlinePassed(&call.decisions, now: now), for: call)
            }
        }
        // Stale entries wait for their deadline; compact when they outnumber live calls by far.
        if self.timers.count > 4 * self.calls.count + 1024 {
            self.timers.removeAll { self.liveCall(of: $0) == nil }
        }
    }

    // MARK: Admission and dispatch

    private func admit(_ submission: PendingCall.Submission) {
        let call = PendingCall(submission, pool: self.pool(for: submission))
        let pool = call.pool
        self.calls.insert(call)
        submission.cancellation?.slot = call.slot
        self.metrics.inFlight.record(self.calls.count)
        let next = self.machine.admit(
            &call.decisions,
            guards: &pool.guards,
            cancelled: submission.cancellation?.isCancelled == true,
            now: self.clock.now
        )
        self.perform(next, for: call)
    }

    /// Performs the state machine's next step for a call. ``EngineStateMachine/Next/send(attemptDeadline:)``
    /// and ``EngineStateMachine/Next/succeed`` come only from the transitions whose callers
    /// (``send(_:on:newAttempt:)`` and ``handleReadable(_:)``) handle them with the socket and body.
    private func perform(_ next: EngineStateMachine.Next, for call: PendingCall) {
        switch next {
        case .dispatch:
            self.dispatch(call, in: call.pool, first: call.attempt > 0)
        case .retry(let at):
            self.schedule(call, at: at, .retry)
        case .fail(let error):
            self.fail(call, error)
        case .send, .succeed:
            break
        }
    }

    /// Does what the state machine said with the socket a call holds.
    private func apply(_ action: EngineStateMachine.SocketAction, to call: PendingCall) {
        switch action {
        case .keep:
            break
        case .release:
            self.detachSocket(from: call, healthy: true)
        case .close:
            self.detachSocket(from: call, healthy: false)
        }
    }

    private func pool(for submission: PendingCall.Submission) -> EndpointPool {
        let key = EndpointPool.Key(endpoint: submission.endpoint, mode: submission.effectiveMode)
        if let last = self.lastPool, last.key == key { return last }
        if let pool = self.pools[key] {
            self.lastPool = pool
            return pool
        }
        let pool = EndpointPool(
            key: key,
            limit: self.configuration.maxSocketsPerEndpoint,
            policy: submission.effectivePolicy,
            metricsPrefix: self.configuration.metricsPrefix
        )
        self.pools[key] = pool
        self.lastPool = pool
        return pool
    }

    /// Sends the call's next attempt on a pooled socket, opening one if the pool has room, or
    /// queues it. Retries go to the front of the queue so new work cannot starve them.
    private func dispatch(_ call: PendingCall, in pool: EndpointPool, first: Bool) {
        if pool.key.mode == .pipelined {
            self.dispatchPipelined(call, in: pool)
            return
        }
        if let socket = pool.idle.popLast() {
            self.send(call, on: socket, newAttempt: true)
            return
        }
        if pool.open < pool.limit {
            do {
                let socket = try self.openSocket(in: pool)
                self.send(call, on: socket, newAttempt: true)
            } catch {
                self.perform(self.machine.openFailed(&call.decisions, error: error, now: self.clock.now), for: call)
            }
            return
        }
        let overallDeadline = self.machine.queued(&call.decisions)
        if first {
            pool.waiting.prepend(call)
        } else {
            pool.waiting.append(call)
        }
        if let overallDeadline {
            self.schedule(call, at: overallDeadline, .overallDeadline)
        }
    }

    /// Sends the call on the endpoint's one connection, opening it if there is none.
    private func dispatchPipelined(_ call: PendingCall, in pool: EndpointPool) {
        let connection: ClientSocket
        if let current = pool.connection {
            connection = current
        } else {
            do {
                connection = try self.openSocket(in: pool)
            } catch {
                self.perform(self.machine.openFailed(&call.decisions, error: error, now: self.clock.now), for: call)
                return
            }
            pool.connection = connection
        }
        self.send(call, on: connection, newAttempt: true)
    }

    private func openSocket(in pool: EndpointPool) throws(ZMQError) -> ClientSocket {
        let endpoint = pool.endpoint
        let pipelined = pool.key.mode == .pipelined
        let socket = try Socket(self.context, pipelined ? .dealer : .req)
        try socket.set(.reconnectInterval, to: self.configuration.reconnectInterval)
        if pipelined {
            try socket.set(.sendHighWaterMark, to: max(1, self.configuration.pipelineHighWaterMark))
        }
        if pool.key.mode == .resend {
            // REQ_RELAXED alone would let a late reply answer the wrong send; CORRELATE stops that.
            try socket.set(.requestRelaxed, to: true)
            try socket.set(.requestCorrelate, to: true)
        }
        if let serverKey = endpoint.serverPublicKey, let keyPair = self.keyPair {
            try socket.set(.curveServerKey, to: serverKey)
            try socket.set(.curvePublicKey, to: keyPair.publicKey)
            try socket.set(.curveSecretKey, to: keyPair.secretKey)
        }
        let watched = pipelined ? try Self.startHeartbeats(pool.heartbeat, on: socket) : false
        let monitor = self.configuration.detectHandshakeFailures || watched ? try SocketMonitor(watching: socket) : nil
        let client = try ClientSocket(socket: socket, monitor: monitor, pool: pool, isPipelined: pipelined, now: self.clock.now)
        client.watchesConnection = watched
        try socket.connect(endpoint.address)
        pool.open += 1
        self.openSockets[ObjectIdentifier(client)] = client
        self.pollerDirty = true
        return client
    }

    private func send(_ call: PendingCall, on socket: ClientSocket, newAttempt: Bool) {
        let now = self.clock.now
        let next = self.machine.sending(&call.decisions, newAttempt: newAttempt, now: now)
        guard case .send(let deadline) = next else {
            // Nothing may be sent (the engine is closing): a socket the call did not hold yet goes
            // back unused, without serving a waiting call.
            if socket.call == nil, !socket.isPipelined { socket.pool.idle.append(socket) }
            self.perform(next, for: call)
            return
        }
        call.socket = socket
        do {
            if socket.isPipelined {
                if socket.outstanding.isEmpty { socket.lastSignOfLife = now }
                socket.outstanding[call.requestID] = call
                if socket.sendQueue.isEmpty {
                    try self.transmit(call, on: socket, now: now)
                } else {
                    self.queueForTransmit(call, on: socket)
                }
            } else {
                socket.call = call
                try self.transmit(call, on: socket, now: now)
            }
        } catch let error as ZMQError where error.code == .wouldBlock && socket.isPipelined {
            // The high-water mark: the request waits in the engine; its attempt deadline holds.
            self.queueForTransmit(call, on: socket)
        } catch {
            // A REQ socket that cannot send is of no further use; a connection only loses the call.
            self.detachSocket(from: call, healthy: false)
            self.perform(
                self.machine.attemptFailed(&call.decisions, .sendFailed("\(error)"), guards: &call.pool.guards, using: &self.random, now: now),
                for: call
            )
            return
        }
        self.needsCheck(socket)
        self.schedule(call, at: deadline, .attemptDeadline)
        self.metrics.attempts.increment()
        self.emit(call, .attemptSent(requestID: call.requestID, attempt: call.attempt, endpoint: call.endpoint.address))
    }

    /// Puts the call's request on the wire, framed as a REQ socket frames it (a DEALER connection
    /// adds the empty delimiter a REQ socket adds itself). Throws ``ZMQError/Code/wouldBlock``
    /// with nothing sent when a pipelined connection is at its high-water mark: libzmq takes a
    /// multipart message whole or not at all.
    private func transmit(_ call: PendingCall, on socket: ClientSocket, now: ContinuousClock.Instant) throws {
        if socket.isPipelined {
            try socket.socket.send([], more: true, dontWait: true)
        }
        if call.options.raw {
            try socket.socket.send(multipart: call.body, dontWait: true)
            return
        }
        let header = RequestHeader(
            clientID: self.clientID,
            requestID: call.requestID,
            attempt: UInt16(clamping: call.attempt),
            remainingDeadline: now.duration(to: call.decisions.overallDeadline ?? call.decisions.attemptDeadline ?? now),
            epoch: call.options.epoch,
            shardID: call.options.shardID,
            bodyFrameCount: UInt16(clamping: call.body.count),
            traceContext: call.options.traceContext
        )
        self.headerFrame.removeAll(keepingCapacity: true)
        try header.encode(into: &self.headerFrame, key: call.options.routingKey?.utf8)
        try socket.socket.send(self.headerFrame, more: !call.body.isEmpty, dontWait: true)
        if !call.body.isEmpty {
            try socket.socket.send(multipart: call.body, dontWait: true)
        }
    }

    private func queueForTransmit(_ call: PendingCall, on socket: ClientSocket) {
        guard !call.awaitingTransmit else { return }
        call.awaitingTransmit = true
        socket.sendQueue.append(call)
    }

    /// Sends what waited for room on a pipelined connection, in order, until it is full again.
    private func flushSendQueue(_ socket: ClientSocket) {
        while let call = socket.sendQueue.first {
            // A call that ended, timed out or moved on since it queued is skipped.
            guard call.state == .inFlight, call.socket === socket else {
                call.awaitingTransmit = false
                socket.sendQueue.removeFirst()
                continue
            }
            do {
                try self.transmit(call, on: socket, now: self.clock.now)
            } catch let error as ZMQError where error.code == .wouldBlock {
                return
            } catch {
                call.awaitingTransmit = false
                socket.sendQueue.removeFirst()
                self.detachSocket(from: call, healthy: false)
                let now = self.clock.now
                self.perform(
                    self.machine.attemptFailed(&call.decisions, .sendFailed("\(error)"), guards: &call.pool.guards, using: &self.random, now: now),
                    for: call
                )
                continue
            }
            call.awaitingTransmit = false
            socket.sendQueue.removeFirst()
        }
    }

    // MARK: Replies

    private func handleReadable(_ socket: ClientSocket) {
        // In resend mode a reply may arrive while the call backs off: it answers the same request.
        let call = socket.isPipelined ? nil : socket.call.flatMap { $0.state == .inFlight || $0.state == .backingOff ? $0 : nil }
        let read: ReplyReader.Read
        do {
            read = try self.replyReader.read(from: socket.socket, delimited: socket.isPipelined, raw: call?.options.raw == true)
        } catch {
            if error.code != .wouldBlock {
                self.logger.debug("receive failed", metadata: ["error": "\(error)"])
            }
            return
        }
        self.needsCheck(socket)
        if socket.isPipelined {
            self.handlePipelinedReply(read, on: socket)
            return
        }
        guard let call else { return }
        let outcome: EngineStateMachine.ReplyOutcome
        var body: [[UInt8]] = []
        var serverEpoch: UInt64 = 0
        switch read {
        case .raw(let frames):
            outcome = .ok
            body = frames
        case .reply(let header, let frames):
            guard header.requestID == call.requestID else {
                // Not ours: drop it and send the same attempt again, which the REQ socket now allows.
                self.metrics.staleReplies.increment()
                self.emit(call, .staleReplyDropped(requestID: call.requestID, staleRequestID: header.requestID))
                self.resendAfterStaleReply(call, on: socket)
                return
            }
            body = frames
            serverEpoch = header.epoch
            outcome = self.outcome(of: header, for: call)
        case .malformed(let error):
            outcome = .final(.protocolError(attempts: call.attempt, endpoint: call.endpoint.address, message: "\(error)").keeping(error))
        case .undelimited:
            // Only a DEALER connection's reads look for a delimiter.
            return
        }
        self.deliver(outcome, body: body, serverEpoch: serverEpoch, to: call, now: self.clock.now)
    }

    /// A reply on a pipelined connection: matched by request id, or dropped as stray (a duplicate,
    /// an id this connection is not waiting for, a malformed message) with the connection going on.
    private func handlePipelinedReply(_ read: ReplyReader.Read, on socket: ClientSocket) {
        let now = self.clock.now
        socket.lastSignOfLife = now
        let header: ReplyHeader
        let body: [[UInt8]]
        switch read {
        case .reply(let replyHeader, let frames):
            (header, body) = (replyHeader, frames)
        case .undelimited, .raw:
            self.dropStray(on: socket, "no empty delimiter frame")
            return
        case .malformed(let error):
            self.dropStray(on: socket, "\(error)")
            return
        }
        guard let call = socket.outstanding[header.requestID], call.state == .inFlight || call.state == .backingOff else {
            self.dropStray(on: socket, "no request \(header.requestID) outstanding")
            return
        }
        self.deliver(self.outcome(of: header, for: call), body: body, serverEpoch: header.epoch, to: call, now: now)
    }

    private func dropStray(on socket: ClientSocket, _ reason: String) {
        self.metrics.strayReplies.increment()
        self.logger.debug("stray reply dropped", metadata: ["endpoint": "\(socket.pool.endpoint)", "error": "\(reason)"])
    }

    /// Ends or retries a call by what its reply said.
    private func deliver(
        _ outcome: EngineStateMachine.ReplyOutcome,
        body: [[UInt8]],
        serverEpoch: UInt64,
        to call: PendingCall,
        now: ContinuousClock.Instant
    ) {
        let (socketAction, next) = self.machine.replied(&call.decisions, outcome, guards: &call.pool.guards, using: &self.random, now: now)
        self.apply(socketAction, to: call)
        if case .succeed = next {
            self.succeed(call, body: body, serverEpoch: serverEpoch, now: now)
        } else {
            self.perform(next, for: call)
        }
    }

    /// What a reply's status means for the call, decided by the machine; a pushback is counted
    /// and reported here, from the value.
    private func outcome(of header: ReplyHeader, for call: PendingCall) -> EngineStateMachine.ReplyOutcome {
        let outcome = EngineStateMachine.outcome(of: header, attempts: call.attempt, endpoint: call.endpoint.address)
        if case .pushback(let retryAfter, _, _) = outcome {
            self.pushedBack(call, retryAfter: retryAfter)
        }
        return outcome
    }

    /// Counts and reports a server's request to retry later.
    private func pushedBack(_ call: PendingCall, retryAfter: Duration) {
        self.metrics.pushbacks.increment()
        self.emit(call, .pushedBack(requestID: call.requestID, attempt: call.attempt, retryAfter: retryAfter))
    }

    private func resendAfterStaleReply(_ call: PendingCall, on socket: ClientSocket) {
        guard case .resend = self.machine.staleReply(&call.decisions) else { return }
        // Without correlation, the answer to the send the stale reply followed may still come
        // after the call ends; a socket that resent is therefore closed rather than pooled.
        socket.resentAfterStaleReply = true
        self.send(call, on: socket, newAttempt: false)
    }

    private func handleMonitorEvents(_ socket: ClientSocket) {
        guard let monitor = socket.monitor else { return }
        let events: [MonitorEvent]
        do {
            events = try monitor.drain()
        } catch {
            return
        }
        self.needsCheck(socket)
        if socket.watchesConnection, Self.connectionDropped(events, established: socket.handshakeSucceeded) {
            self.rebuild(socket, dropped: true)
            return
        }
        for event in events {
            switch event {
            case .handshakeSucceeded:
                socket.handshakeSucceeded = true
                socket.handshakeFailure = nil
            case .handshakeFailedProtocol, .handshakeFailedAuthentication:
                socket.handshakeFailure = event.handshakeFailure
            case .handshakeFailed:
                // A handshake that fails without detail on every reconnect: for a CURVE client, a
                // wrong server key (once could be a peer hanging up, twice is the key); for a
                // plain-text client, a CURVE server that hangs up before its greeting names its
                // mechanism, which libzmq does when the client's whole greeting arrives in one read
                // (on a loaded machine, every time). A third time rules out a server that died.
                socket.silentHandshakeFailures += 1
                let enough = socket.pool.endpoint.serverPublicKey != nil ? 2 : 3
                if socket.silentHandshakeFailures >= enough {
                    socket.handshakeFailure = event.handshakeFailure
                }
            default:
                continue
            }
        }
        if socket.handshakeSucceeded, socket.handshakeFailure == nil {
            // A watched connection keeps its monitor: a drop later is what it watches for.
            if !socket.watchesConnection {
                socket.stopMonitoring()
                self.pollerDirty = true
            }
            return
        }
        guard let failure = socket.handshakeFailure else { return }
        let reason: String
        if failure.code != .noDetail {
            reason = "\(failure)"
        } else if socket.pool.endpoint.serverPublicKey != nil {
            reason = "CURVE handshake failed repeatedly without a reason: the server public key is wrong, or the server does not use CURVE"
        } else {
            reason = "handshake failed repeatedly without a reason: the server may require CURVE"
        }
        self.logger.warning("handshake failed", metadata: ["endpoint": "\(socket.pool.endpoint)", "event": "\(reason)"])
        if socket.isPipelined {
            let calls = socket.outstanding.values.sorted { $0.requestID < $1.requestID }
            self.closeSocket(socket)
            for call in calls {
                self.fail(call, .authenticationFailed(endpoint: call.endpoint.address, message: reason, underlying: failure))
            }
        } else if let call = socket.call {
            self.detachSocket(from: call, healthy: false)
            self.fail(call, .authenticationFailed(endpoint: call.endpoint.address, message: reason, underlying: failure))
        } else {
            socket.pool.idle.removeAll { $0 === socket }
            self.closeSocket(socket)
        }
    }

    // MARK: Failure and retry

    private func attemptTimedOut(_ call: PendingCall) {
        if let connection = call.socket, connection.isPipelined,
           self.machine.connectionIsSilent(lastSignOfLife: connection.lastSignOfLife, now: self.clock.now, attemptTimeout: call.policy.attemptTimeout) {
            self.rebuild(connection, dropped: false, timedOut: call)
        }
        self.metrics.timeouts.increment()
        self.emit(call, .timedOut(requestID: call.requestID, attempt: call.attempt, endpoint: call.endpoint.address))
        let (socketAction, next) = self.machine.attemptTimedOut(
            &call.decisions,
            guards: &call.pool.guards,
            using: &self.random,
            now: self.clock.now
        )
        self.apply(socketAction, to: call)
        self.perform(next, for: call)
    }

    /// Destroys a pipelined connection that showed no sign of life, or that libzmq dropped (a
    /// heartbeat unanswered, the peer gone): closed with `LINGER 0`, every other request in flight
    /// on it has its attempt end (each retried, after its backoff, on a new connection, or failed),
    /// and requests backing off go to the new connection when due.
    private func rebuild(_ connection: ClientSocket, dropped: Bool, timedOut: PendingCall? = nil) {
        let now = self.clock.now
        let silentFor = connection.lastSignOfLife.duration(to: now)
        let calls = connection.outstanding.values.sorted { $0.requestID < $1.requestID }
        self.closeSocket(connection)
        self.metrics.connectionsRebuilt.increment()
        self.logger.debug(
            "pipelined connection rebuilt",
            metadata: ["endpoint": "\(connection.pool.endpoint)", "event": "\(dropped ? "dropped by libzmq" : "silent"), no reply for \(DurationText.approximate(silentFor))"]
        )
        for call in calls where call !== timedOut && call.state == .inFlight {
            self.metrics.timeouts.increment()
            self.emit(call, .timedOut(requestID: call.requestID, attempt: call.attempt, endpoint: call.endpoint.address))
            self.perform(
                self.machine.connectionLost(&call.decisions, silentFor: silentFor, dropped: dropped, guards: &call.pool.guards, using: &self.random, now: now),
                for: call
            )
        }
    }

    private func retry(_ call: PendingCall) {
        let next = self.machine.retryDue(&call.decisions, now: self.clock.now)
        guard case .dispatch = next else {
            self.perform(next, for: call)
            return
        }
        if let socket = call.socket {
            // Resend mode keeps its socket: REQ_RELAXED lets it send again.
            self.send(call, on: socket, newAttempt: true)
            return
        }
        self.metrics.reconnects.increment()
        self.emit(call, .reconnecting(requestID: call.requestID, attempt: call.attempt + 1, endpoint: call.endpoint.address))
        self.dispatch(call, in: call.pool, first: true)
    }

    private func cancel(_ flag: CancellationFlag) {
        // A flag not yet admitted is seen at admission; a slot passed on to another call is not this one's.
        guard let slot = flag.slot, let call = self.calls[slot], call.cancellation === flag else { return }
        if call.state == .waitingForSocket {
            call.pool.waiting.removeAll { $0 === call }
        }
        let (socketAction, next) = self.machine.cancelled(&call.decisions)
        self.apply(socketAction, to: call)
        self.perform(next, for: call)
    }

    // MARK: Completion

    private func succeed(_ call: PendingCall, body: [[UInt8]], serverEpoch: UInt64, now: ContinuousClock.Instant) {
        self.detachSocket(from: call, healthy: true)
        let latency = call.submittedAt.duration(to: now)
        self.metrics.latency.recordNanoseconds(latency.nanosecondsClamped)
        let reply = Reply(
            body: body,
            attempts: call.attempt,
            requestID: call.requestID,
            serverEpoch: serverEpoch,
            latency: latency
        )
        self.emit(call, .succeeded(requestID: call.requestID, attempts: call.attempt, latency: latency))
        self.complete(call, .success(reply), failure: nil, now: now)
    }

    private func fail(_ call: PendingCall, _ error: CorsairError) {
        self.detachSocket(from: call, healthy: false)
        if call.state == .waitingForSocket {
            call.pool.waiting.removeAll { $0 === call }
        }
        if error.code == .circuitOpen {
            self.metrics.breakerRejections.increment()
        } else if error.code == .retryBudgetExhausted {
            self.metrics.budgetRefusals.increment()
        }
        self.emit(call, .abandoned(requestID: call.requestID, attempts: call.attempt, reason: "\(error)"))
        self.complete(call, .failure(error), failure: error.code, now: self.clock.now)
    }

    private func complete(
        _ call: PendingCall,
        _ result: Result<Reply, CorsairError>,
        failure: CorsairError.Code?,
        now: ContinuousClock.Instant
    ) {
        let pool = call.pool
        guard self.machine.finished(&call.decisions, failure: failure, guards: &pool.guards, now: now) else { return }
        self.calls.remove(call)
        if pool.guards.breaker != nil {
            pool.breakerGauge.record(pool.guards.isBreakerOpen ? 1 : 0)
        }
        self.metrics.finished(failure: failure)
        self.metrics.inFlight.record(self.calls.count)
        call.finish(result)
    }

    // MARK: Sockets

    /// Takes the call's socket back: to the pool (or the next waiting call) when its REQ state allows
    /// another send, otherwise closed at once.
    private func detachSocket(from call: PendingCall, healthy: Bool) {
        guard let socket = call.socket else { return }
        call.socket = nil
        if socket.isPipelined {
            // The connection is shared: only the call leaves it.
            socket.outstanding.removeValue(forKey: call.requestID)
            return
        }
        socket.call = nil
        if healthy, socket.handshakeFailure == nil, !socket.resentAfterStaleReply {
            self.returnToPool(socket)
        } else {
            self.closeSocket(socket)
        }
    }

    private func returnToPool(_ socket: ClientSocket) {
        let pool = socket.pool
        if !self.machine.isClosing, let next = pool.waiting.popFirst() {
            self.send(next, on: socket, newAttempt: true)
        } else {
            pool.idle.append(socket)
        }
    }

    private func closeSocket(_ socket: ClientSocket) {
        guard self.openSockets.removeValue(forKey: ObjectIdentifier(socket)) != nil else { return }
        socket.close()
        let pool = socket.pool
        pool.open -= 1
        if pool.connection === socket {
            pool.connection = nil
        }
        self.pollerDirty = true
        // The pool has room again: a waiting call may open a socket of its own.
        if !self.machine.isClosing, let next = pool.waiting.popFirst() {
            self.dispatch(next, in: pool, first: true)
        }
    }

    /// Fails every call, admitted or not, with ``CorsairError/Code/engineClosed`` and closes every
    /// socket, sending nothing more: the sockets close first, so failing a call that held one
    /// cannot hand a waiting call a socket to send on.
    private func shutdown() {
        self.machine.close()
        for pool in self.pools.values {
            pool.waiting.removeAll()
        }
        for socket in self.openSockets.values {
            socket.close()
        }
        self.openSockets.removeAll()
        for call in self.calls.calls {
            self.perform(self.machine.close(&call.decisions), for: call)
        }
        // Taken from the inbox in the pass that saw the order to close, never admitted.
        while let submission = self.submissions.popFirst() {
            submission.completion(.failure(.engineClosed(attempts: 0, endpoint: submission.endpoint.address)))
        }
        self.pools.removeAll()
        self.lastPool = nil
        self.poller.removeAll()
        self.pollEntries.removeAll()
        self.watchedMonitors.removeAll()
        let (late, jobs, onClosed) = self.inbox.finish()
        for submission in late {
            submission.completion(.failure(.engineClosed(attempts: 0, endpoint: submission.endpoint.address)))
        }
        // Tasks that still prefer the engine's executor go on in the shared pool.
        for job in jobs {
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
        for callback in onClosed {
            callback()
        }
    }

    // MARK: Helpers

    /// Tells the observers, building the event only when there is one: most requests have none.
    private func emit(_ call: PendingCall, _ event: @autoclosure () -> RequestEvent) {
        let perRequest = call.options.onEvent
        let engineWide = self.configuration.onEvent
        guard perRequest != nil || engineWide != nil else { return }
        let event = event()
        perRequest?(event)
        engineWide?(event)
    }
}
