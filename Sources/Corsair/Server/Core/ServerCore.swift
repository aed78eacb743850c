import UnitText
import CoreMetrics
import Logging
import Metrics
import ZeroMQ

/// The I/O thread's side of a ``CorsairServer``: the ROUTER socket, the ZAP handler, the replay
/// cache and the table of running handlers.
///
/// Made on the I/O thread and used only there, so none of it needs locks: handlers reach it through
/// the ``ServerInbox`` and a ``Wakeup``, and it reaches clients through the ROUTER.
///
/// The loop waits on the sockets' `ZMQ_FD` descriptors with a plain `poll` rather than on the
/// sockets with `zmq_poll`, which would spend a few more system calls per socket on every turn.
/// That is sound because the last operation on each socket before the wait is a receive that
/// found nothing: libzmq has then processed every pending command, so anything new signals the
/// descriptor.
final class ServerCore {
    /// A handler run in progress: where its reply goes.
    private struct Job {
        let envelope: [[UInt8]]
        let key: ReplayCache.Key?
        /// Where the replay cache keeps the run, so that recording its reply needs no lookup.
        let slot: ReplayCache.Slot?
    }

    /// How a handler's reply is framed.
    enum ReplyMode: Sendable {
        case raw
        case corsair(requestID: RequestID, epoch: UInt64)
    }

    /// A request whose epoch is newer than the server's map, waiting for the map refresh in flight.
    private struct Parked {
        let envelope: [[UInt8]]
        let header: RequestHeader
        let body: [[UInt8]]
    }

    /// Messages read per loop turn before replies and the wake-up get a look in.
    private static let receiveBatch = 256

    private let configuration: CorsairServer.Configuration
    private let handler: any RequestHandler
    /// The same handler when it answers inline, found once rather than cast per request.
    private let inlineHandler: (any InlineRequestHandler)?
    private let inbox: ServerInbox
    /// Where handlers that do not answer inline run: tasks in the group ``CorsairServer/run()`` owns.
    private let pool: HandlerPool
    private let statisticsBox: ServerStatisticsBox
    private let logger: Logger
    private let metrics: ServerMetrics
    private let clock = ContinuousClock()
    /// ``CorsairServer/Configuration/maxRequestBytes``, or no bound.
    private let maxRequestBytes: Int

    private var context: Context?
    private var router: Socket?
    private var zap: ZAPAuthenticator?
    private var poller = Poller()
    private var pollerDirty = true
    private var zapIndex: Int?
    private var routerDescriptor: Int32 = -1
    private var zapDescriptor: Int32 = -1

    private var jobs: [UInt64: Job] = [:]
    private var nextJobID: UInt64 = 0
    /// Deadline, replay, ownership and in-flight decisions, and the replay cache.
    private var admission: ServerAdmission
    private var statistics = CorsairServer.Statistics()
    private var replyCounts = ServerStatisticsBox.ReplyCounts(repeating: 0)
    private var completions: [ServerInbox.Completion] = []
    /// Every frame is received into this one message and read from there (see ``RequestFrames``),
    /// so that receiving allocates no message per frame, nor one for the "would block" answer that
    /// ends each batch.
    private let frame = Message()
    private var serving = false
    private var drainDeadline: ContinuousClock.Instant?

    /// Requests waiting for the map refresh in flight, decided again when it ends.
    private var parked: [Parked] = []

    init(
        configuration: CorsairServer.Configuration,
        handler: any RequestHandler,
        inbox: ServerInbox,
        statistics: ServerStatisticsBox,
        pool: HandlerPool
    ) {
        self.pool = pool
        self.configuration = configuration
        self.handler = handler
        self.inlineHandler = handler as? any InlineRequestHandler
        self.inbox = inbox
        self.statisticsBox = statistics
        self.logger = configuration.logger
        self.metrics = ServerMetrics(prefix: configuration.metricsPrefix)
        self.maxRequestBytes = configuration.maxRequestBytes ?? .max
        self.admission = ServerAdmission(
            limits: ServerAdmission.Limits(
                minimumRemainingDeadline: configuration.minimumRemainingDeadline,
                maxInFlight: configuration.maxInFlight,
                overloadRetryAfter: configuration.overloadRetryAfter,
                olderMapRetryAfter: configuration.olderMapRetryAfter
            ),
            ownership: configuration.ownership,
            cache: ReplayCache(
                capacity: configuration.replayCacheEntries,
                maxBytes: configuration.replayCacheMaxBytes,
                ttl: configuration.replayCacheTTL
            )
        )
    }

    // MARK: Setup

    /// Opens the context, the ZAP handler and the ROUTER, and binds every endpoint.
    /// - Returns: The endpoints bound, with wildcard ports resolved.
    func setUp() throws(CorsairServerError) -> [String] {
        let context = try Self.zmq("cannot create a ZeroMQ context") { () throws(ZMQError) -> Context in
            if let shared = self.configuration.context { return shared }
            return try Context()
        }
        self.context = context
        if let curve = self.configuration.curve, let allowed = curve.allowedClientKeys {
            // Bound before the ROUTER, so no handshake can start without it.
            self.zap = try Self.zmq("cannot bind the ZAP handler") { () throws(ZMQError) in
                try ZAPAuthenticator(context: context, allowedKeys: allowed, logger: self.logger)
            }
        }
        let router = try Self.zmq("cannot open the ROUTER socket") { () throws(ZMQError) in
            let router = try Socket(context, .router)
            try router.set(.routerMandatory, to: true)
            try router.set(.maximumMessageSize, to: self.configuration.maxMessageSize)
            if let curve = self.configuration.curve {
                try router.set(.curveServer, to: true)
                try router.set(.curveSecretKey, to: curve.secretKey)
                try router.set(.zapDomain, to: "corsair")
            }
            return router
        }
        self.router = router
        (self.routerDescriptor, self.zapDescriptor) = try Self.zmq("cannot read a socket's descriptor") { () throws(ZMQError) in
            (try router.signalDescriptor, try self.zap?.socket.signalDescriptor ?? -1)
        }
        var bound: [String] = []
        for endpoint in self.configuration.endpoints {
            do {
                try router.bind(endpoint)
                bound.append(try router.lastEndpoint)
            } catch {
                throw .bind(endpoint, error)
            }
        }
        return bound
    }

    /// Closes whatever ``setUp()`` opened before it failed, and reports the failure to waiters.
    func abandonSetUp(_ error: CorsairServerError) {
        self.router?.close()
        self.zap?.socket.close()
        self.router = nil
        self.zap = nil
        self.context = nil
        self.inbox.finish(.failure(error))
        self.pool.finish(cancelRunning: false)
    }

    private static func zmq<T>(_ what: String, _ body: () throws(ZMQError) -> T) throws(CorsairServerError) -> T {
        do {
            return try body()
        } catch {
            throw .socket(what, error)
        }
    }

    // MARK: The loop

    /// Serves until stopped, drains, then closes every socket and reports to the inbox's waiters.
    func run() {
        var outcome: Result<Void, CorsairServerError> = .success(())
        while true {
            let (started, stop, refreshed) = self.inbox.take(into: &self.completions)
            if let stop {
                self.beginDraining(until: stop.deadline, drainTimeout: stop.drainTimeout)
            } else if started, !self.serving, self.drainDeadline == nil {
                self.serving = true
                self.statistics.isServing = true
                self.pollerDirty = true
            }
            // Once the drain time is up (at once on cancellation, which also cancels the handlers
            // in run()'s task group), what handlers hand back is not sent: their clients get no
            // reply, as documented, rather than the CancellationError they ended with.
            if self.drainDeadline.map({ self.clock.now >= $0 }) != true {
                for completion in self.completions {
                    self.finish(completion)
                }
            }
            self.completions.removeAll(keepingCapacity: true)
            if refreshed {
                self.refreshEnded()
            }
            // Not drained: the batch limit stopped reading, so more may be waiting without a signal.
            let drained = self.serving ? self.receiveBatch() : true
            let now = self.clock.now
            self.admission.expire(now: now)
            self.statisticsBox.publish(self.statistics, replies: self.replyCounts)
            if let deadline = self.drainDeadline, self.jobs.isEmpty || now >= deadline {
                break
            }
            self.rebuildPollerIfNeeded()
            let timeout = drained ? self.drainDeadline.map { max(now.duration(to: $0), .zero) } : .zero
            do {
                _ = try self.poller.poll(timeout: timeout)
            } catch {
                if error.code != .terminated {
                    self.logger.error("zmq_poll failed; the server stops", metadata: ["error": "\(error)"])
                    outcome = .failure(.socket("zmq_poll failed", error))
                }
                break
            }
            if self.poller.events(at: 0).contains(.readable) {
                self.inbox.wakeup.drain()
            }
            if let index = self.zapIndex, self.poller.events(at: index).contains(.readable), let zap = self.zap {
                zap.handleReadable()
                let refusals = zap.takeRefusals()
                if refusals > 0 {
                    self.statistics.authenticationRefusals += refusals
                    self.metrics.authenticationRefusals.increment(by: Int64(refusals))
                }
            }
            // The ROUTER is read at the top of the next turn, whether or not it woke this one.
        }
        self.shutDown(outcome)
    }

    private func beginDraining(until deadline: ContinuousClock.Instant, drainTimeout: Duration) {
        if let current = self.drainDeadline, current <= deadline { return }
        if self.drainDeadline == nil {
            // The timeout as configured (`drain-timeout=5s`), not the nanoseconds left of it.
            self.logger.info(
                "stopping: no new requests; draining handlers in flight",
                metadata: ["in-flight": "\(self.jobs.count)", "drain-timeout": "\(DurationText.format(drainTimeout))"]
            )
        }
        self.drainDeadline = deadline
        // Requests that arrive from now on stay unread in libzmq and go when the socket closes;
        // their clients time out and retry elsewhere.
        self.serving = false
        self.statistics.isServing = false
        self.pollerDirty = true
    }

    private func rebuildPollerIfNeeded() {
        guard self.pollerDirty else { return }
        self.pollerDirty = false
        self.poller.removeAll()
        self.poller.add(fileDescriptor: self.inbox.wakeup.readDescriptor, events: .readable)
        self.zapIndex = self.zap.map { _ in self.poller.add(fileDescriptor: self.zapDescriptor, events: .readable) }
        // Only while serving: draining leaves new requests unread.
        if self.serving, self.router != nil {
            self.poller.add(fileDescriptor: self.routerDescriptor, events: .readable)
        }
    }

    private func shutDown(_ outcome: Result<Void, CorsairServerError>) {
        if !self.jobs.isEmpty {
            self.logger.warning(
                "drain timeout passed; cancelling handlers still running, their clients get no reply",
                metadata: ["cancelled": "\(self.jobs.count)"]
            )
        }
        let cancelRunning = !self.jobs.isEmpty
        self.jobs.removeAll()
        self.statistics.inFlight = 0
        self.metrics.inFlight.record(0)
        self.statisticsBox.publish(self.statistics, replies: self.replyCounts)
        self.poller.removeAll()
        self.router?.close()
        self.zap?.socket.close()
        self.router = nil
        self.zap = nil
        // Releasing the last reference terminates the context, which waits for libzmq to let go of
        // the listening ports: once run() returns, they are free.
        self.context = nil
        self.logger.info("stopped")
        self.inbox.finish(outcome)
        // run() cancels the handlers still running, awaits every one, then returns.
        self.pool.finish(cancelRunning: cancelRunning)
    }

    // MARK: Receiving

    /// Reads and handles up to a batch of requests; `true` when reading stopped because none was left.
    private func receiveBatch() -> Bool {
        guard let router = self.router else { return true }
        for _ in 0..<Self.receiveBatch {
            var frames = RequestFrames()
            var total = 0
            var bytes = 0
            do {
                try router.receive(into: self.frame, dontWait: true)
                frames.add(self.frame)
                total = 1
                bytes = self.frame.count
                // The rest of a multipart message arrives with its first frame, so this never waits.
                while self.frame.hasMore {
                    try router.receive(into: self.frame)
                    total += 1
                    bytes += self.frame.count
                    // Past either bound, frames are read to the end and dropped: never kept.
                    if frames.count < self.configuration.maxFramesPerMessage, bytes <= self.maxRequestBytes {
                        frames.add(self.frame)
                    }
                }
            } catch {
                if error.code != .wouldBlock {
                    self.logger.warning("receive failed", metadata: ["error": "\(error)"])
                }
                return true
            }
            if total > self.configuration.maxFramesPerMessage {
                let detail = "request has \(total) frames; at most \(self.configuration.maxFramesPerMessage) are accepted"
                self.refuse(frames.request, detail: detail)
            } else if bytes > self.maxRequestBytes {
                self.refuse(frames.request, detail: "request has \(bytes) bytes; at most \(self.maxRequestBytes) are accepted")
            } else {
                self.classify(frames.request)
            }
        }
        return false
    }

    private func classify(_ request: IncomingRequest) {
        switch request {
        case .corsair(let envelope, let header, let body):
            self.admit(envelope: envelope, header: header, body: body)
        case .raw(let envelope, let body):
            self.admitRaw(envelope: envelope, body: body)
        case .malformed(let envelope, let requestID, let error):
            self.malformed(envelope: envelope, requestID: requestID, detail: error.message, obsolete: error.code == .obsoleteVersion)
        }
    }

    /// Answers "bad request" to a request over a bound, read from the frames kept (the envelope and
    /// header come first, so they are there when the reply can be addressed).
    private func refuse(_ request: IncomingRequest, detail: String) {
        switch request {
        case .corsair(let envelope, let header, _):
            self.malformed(envelope: envelope, requestID: header.requestID, detail: detail)
        case .malformed(let envelope, let requestID, _):
            self.malformed(envelope: envelope, requestID: requestID, detail: detail)
        case .raw:
            self.malformed(envelope: nil, requestID: nil, detail: detail)
        }
    }

    /// Answers "bad request" when the message can be answered, otherwise drops it; counts it either way.
    /// A version-1 request is answered in version 1's layout, which its client can read.
    private func malformed(envelope: [[UInt8]]?, requestID: RequestID?, detail: String, obsolete: Bool = false) {
        self.statistics.malformedMessages += 1
        guard let envelope, let requestID else {
            self.metrics.malformedDropped.increment()
            self.logger.debug("dropped a malformed message", metadata: ["reason": "\(detail)"])
            return
        }
        self.metrics.malformedAnswered.increment()
        self.logger.debug("bad request", metadata: ["request-id": "\(requestID)", "reason": "\(detail)"])
        let header = ReplyHeader(status: .badRequest, requestID: requestID, epoch: self.currentEpoch, detail: detail)
        self.send([obsolete ? header.encodeForObsoleteVersion() : header.encode()], to: envelope, status: .badRequest)
    }

    // MARK: Admission

    private var currentEpoch: UInt64 {
        self.admission.epoch
    }

    /// Carries out what ``ServerAdmission`` decides for a Corsair request.
    private func admit(envelope: [[UInt8]], header: RequestHeader, body: [[UInt8]], afterRefresh: Bool = false) {
        let now = self.clock.now
        let key = ReplayCache.Key(clientID: header.clientID, requestID: header.requestID)
        let request = ServerAdmission.Request(
            key: key,
            remainingDeadline: header.remainingDeadline,
            routingKey: header.routingKey,
            shardID: header.shardID,
            epoch: header.epoch,
            envelope: envelope
        )
        let requestID = header.requestID
        switch self.admission.admit(request, inFlight: self.jobs.count, now: now, afterRefresh: afterRefresh) {
        case .deadlineExpired(let epoch):
            self.sendStatus(
                .deadlineExpired,
                to: envelope,
                requestID: requestID,
                epoch: epoch,
                detail: "the request's deadline had passed when the server received it"
            )
        case .replay(let content, let status):
            self.statistics.replays += 1
            self.metrics.replays.increment()
            self.send(content, to: envelope, status: status)
        case .joinedRunning:
            self.statistics.replays += 1
            self.metrics.replays.increment()
        case .moved(let shardID, let endpoint, let epoch):
            let reply = ReplyHeader.moved(requestID: requestID, epoch: epoch, shardID: shardID, endpoint: endpoint)
            self.send([reply.encode()], to: envelope, status: .moved)
        case .wrongShard(let epoch):
            self.sendStatus(.wrongShard, to: envelope, requestID: requestID, epoch: epoch)
        case .serverMapOlder(let epoch, let retryAfter):
            self.sendStatus(
                .serverMapOlder,
                to: envelope,
                requestID: requestID,
                epoch: epoch,
                retryAfter: retryAfter,
                detail: "the request's map has epoch \(header.epoch); this server's has \(epoch)"
            )
        case .park(let startRefresh):
            self.parked.append(Parked(envelope: envelope, header: header, body: body))
            if startRefresh {
                self.startRefresh(requestEpoch: header.epoch)
            }
        case .overloaded(let epoch, let retryAfter):
            self.overloaded(envelope: envelope, mode: .corsair(requestID: requestID, epoch: epoch), retryAfter: retryAfter)
        case .run(let epoch):
            var request = ServerRequest(
                body: body,
                clientID: header.clientID,
                requestID: requestID,
                attempt: header.attempt,
                shardID: header.shardID,
                routingKey: header.routingKey,
                epoch: header.epoch,
                isRaw: false,
                deadline: header.remainingDeadline.map { now.advanced(by: $0) }
            )
            request.ownership = self.configuration.ownership
            request.traceContext = header.traceContext
            self.spawn(request, envelope: envelope, key: key, mode: .corsair(requestID: requestID, epoch: epoch))
        }
    }

    /// Starts the one map refresh that parked requests wait for.
    private func startRefresh(requestEpoch: UInt64) {
        guard let ownership = self.configuration.ownership else { return }
        self.statistics.mapRefreshes += 1
        self.metrics.mapRefreshes.increment()
        self.logger.info(
            "a request carries a newer shard-map epoch; reloading the map",
            metadata: ["request-epoch": "\(requestEpoch)", "epoch": "\(self.currentEpoch)"]
        )
        ownership.refresh { [inbox = self.inbox] in inbox.mapRefreshed() }
    }

    /// The map refresh ended: decide the parked requests again, on the map in use now.
    private func refreshEnded() {
        self.admission.refreshEnded(now: self.clock.now)
        let waiting = self.parked
        self.parked.removeAll()
        for request in waiting {
            self.admit(envelope: request.envelope, header: request.header, body: request.body, afterRefresh: true)
        }
    }

    /// Raw requests carry no ids: no deadline or replay checks, only the in-flight bound. A sharded
    /// server cannot check a key it cannot see, so it refuses them unless configured to allow them.
    private func admitRaw(envelope: [[UInt8]], body: [[UInt8]]) {
        self.statistics.rawRequests += 1
        self.metrics.rawRequests.increment()
        if self.configuration.ownership != nil, !self.configuration.allowsRawRequests {
            self.statistics.rawRefusals += 1
            self.metrics.rawRefusals.increment()
            // A plain client cannot read a status; tell it in words, in the one frame it expects.
            self.send([Array(Self.rawRefusal.utf8)], to: envelope, status: .badRequest)
            return
        }
        switch self.admission.admitToRun(inFlight: self.jobs.count, epoch: self.currentEpoch) {
        case .run:
            self.spawn(ServerRequest(body: body, isRaw: true), envelope: envelope, key: nil, mode: .raw)
        case .overloaded(_, let retryAfter):
            self.overloaded(envelope: envelope, mode: .raw, retryAfter: retryAfter)
        default:
            break
        }
    }

    /// What a sharded server answers a raw request, as one frame.
    static let rawRefusal = "ERR raw requests are refused on a sharded server: a request without a Corsair header carries no key "
        + "the server can check against its shard map; send it through a Corsair client, or set server.allow_raw_requests"

    private func overloaded(envelope: [[UInt8]], mode: ReplyMode, retryAfter: Duration) {
        self.statistics.overloadReplies += 1
        self.metrics.overloadReplies.increment()
        switch mode {
        case .corsair(let requestID, let epoch):
            self.sendStatus(.overloaded, to: envelope, requestID: requestID, epoch: epoch, retryAfter: retryAfter)
        case .raw:
            // A plain client cannot read a status; tell it in words, in the one frame it expects.
            let text = "ERR overloaded; retry after \(DurationText.format(retryAfter))"
            self.send([Array(text.utf8)], to: envelope, status: .overloaded)
        }
    }

    // MARK: Handlers

    private func spawn(_ request: ServerRequest, envelope: [[UInt8]], key: ReplayCache.Key?, mode: ReplyMode) {
        var traced = request
        traced.tracer = self.configuration.tracer
        let request = traced
        self.statistics.handlerExecutions += 1
        guard let inline = self.inlineHandler else {
            self.nextJobID &+= 1
            let jobID = self.nextJobID
            let slot = key.flatMap { self.admission.started($0, jobID: jobID) }
            self.jobs[jobID] = Job(envelope: envelope, key: key, slot: slot)
            self.statistics.inFlight = self.jobs.count
            self.metrics.inFlight.record(self.jobs.count)
            self.pool.submit(HandlerPool.Job(jobID: jobID, request: request, mode: mode))
            return
        }
        // Answered on this thread, before anything else can arrive: no job to track, no running
        // entry for a retry to join, and the in-flight count (what the bound and the gauge see
        // between turns) never includes it.
        let start = self.clock.now
        let answer = Self.frame(Result { try HandlerSpan.runInline(tracer: request.tracer, request) { try inline.handleInline(request) } }, to: request, mode: mode, logger: self.logger)
        let end = self.clock.now
        self.metrics.handlerDuration.record(duration: start.duration(to: end))
        self.reply(answer.content, status: answer.status, to: envelope, key: key, slot: nil, jobID: 0, now: end)
    }

    /// Runs the handler off the I/O thread and hands its framed answer to the inbox.
    static func execute(
        _ handler: any RequestHandler,
        _ request: ServerRequest,
        mode: ReplyMode,
        jobID: UInt64,
        inbox: ServerInbox,
        logger: Logger
    ) async {
        let start = ContinuousClock.now
        let answer = await Self.run(handler, request, mode: mode, logger: logger)
        // A worker is cancelled only when the server stops (cancellation, or the drain time is up).
        // Its completion may reach the I/O thread before the stop does, so it says so itself: what
        // the handler ended with (often a CancellationError) must not reach the client.
        inbox.complete(
            ServerInbox.Completion(
                jobID: jobID,
                content: answer.content,
                status: answer.status,
                duration: start.duration(to: .now),
                isDiscarded: Task.isCancelled
            )
        )
    }

    /// Runs the handler and frames its answer.
    private static func run(
        _ handler: any RequestHandler,
        _ request: ServerRequest,
        mode: ReplyMode,
        logger: Logger
    ) async -> (content: [[UInt8]], status: ReplyStatus) {
        do {
            return Self.frame(.success(try await HandlerSpan.run(tracer: request.tracer, request) { try await handler.handle(request) }), to: request, mode: mode, logger: logger)
        } catch {
            return Self.frame(.failure(error), to: request, mode: mode, logger: logger)
        }
    }

    /// Frames a handler's answer to `request` for the wire. Only a ``ClientVisibleError`` travels
    /// as text; any other error is logged here and the client gets the generic detail.
    private static func frame(
        _ result: Result<ServerReply, any Error>,
        to request: ServerRequest,
        mode: ReplyMode,
        logger: Logger
    ) -> (content: [[UInt8]], status: ReplyStatus) {
        switch result {
        case .success(let reply):
            switch mode {
            case .raw:
                // A REQ client needs at least one frame after the envelope.
                return (reply.body.isEmpty ? [[]] : reply.body, .ok)
            case .corsair(let requestID, let epoch):
                do {
                    let header = ReplyHeader(status: .ok, requestID: requestID, epoch: epoch)
                    return (try ServerEnvelope.reply(envelope: [], header: header, body: reply.body), .ok)
                } catch {
                    return (Self.errorContent(error.message, mode: mode), .handlerError)
                }
            }
        case .failure(let error as OwnershipMovedError):
            // The handler found the key moved at the moment of its write: send the client on.
            guard case .corsair(let requestID, _) = mode else {
                return (Self.errorContent(error.description, mode: mode), .handlerError)
            }
            let header = error.endpoint.isEmpty
                ? ReplyHeader(status: .wrongShard, requestID: requestID, epoch: error.epoch)
                : ReplyHeader.moved(requestID: requestID, epoch: error.epoch, shardID: error.shardID, endpoint: error.endpoint)
            return ([header.encode()], header.status)
        case .failure(let error as any ClientVisibleError):
            return (Self.errorContent(error.clientMessage, mode: mode), .handlerError)
        case .failure(let error):
            logger.error(
                "handler failed; the client is told only that",
                metadata: [
                    "request-id": "\(request.requestID.map { "\($0)" } ?? "raw")",
                    "client-id": "\(request.clientID.map { "\($0)" } ?? "raw")",
                    "error": "\(String(reflecting: error))",
                ]
            )
            return (Self.errorContent(CorsairServer.handlerFailedDetail, mode: mode), .handlerError)
        }
    }

    private static func errorContent(_ message: String, mode: ReplyMode) -> [[UInt8]] {
        switch mode {
        case .raw:
            return [Array("ERR \(message)".utf8)]
        case .corsair(let requestID, let epoch):
            return [ReplyHeader(status: .handlerError, requestID: requestID, epoch: epoch, detail: message).encode()]
        }
    }

    private func finish(_ completion: ServerInbox.Completion) {
        guard let job = self.jobs.removeValue(forKey: completion.jobID) else { return }
        self.statistics.inFlight = self.jobs.count
        self.metrics.inFlight.record(self.jobs.count)
        self.metrics.handlerDuration.record(duration: completion.duration)
        // Stopping: the client gets no reply, as for a handler still running when the drain ends.
        guard !completion.isDiscarded else { return }
        self.reply(
            completion.content,
            status: completion.status,
            to: job.envelope,
            key: job.key,
            slot: job.slot,
            jobID: completion.jobID,
            now: self.clock.now
        )
    }

    /// Sends a run's reply, records it in the replay cache, and answers the retries that waited.
    private func reply(
        _ content: [[UInt8]],
        status: ReplyStatus,
        to envelope: [[UInt8]],
        key: ReplayCache.Key?,
        slot: ReplayCache.Slot?,
        jobID: UInt64,
        now: ContinuousClock.Instant
    ) {
        self.send(content, to: envelope, status: status)
        guard let key else { return }
        let waiters = self.admission.finished(key, slot: slot, jobID: jobID, content: content, status: status, now: now)
        for envelope in waiters {
            self.send(content, to: envelope, status: status)
        }
    }

    // MARK: Sending

    private func sendStatus(
        _ status: ReplyStatus,
        to envelope: [[UInt8]],
        requestID: RequestID,
        epoch: UInt64,
        retryAfter: Duration = .zero,
        detail: String = ""
    ) {
        let header = ReplyHeader(status: status, requestID: requestID, epoch: epoch, retryAfter: retryAfter, detail: detail)
        self.send([header.encode()], to: envelope, status: status)
    }

    /// Sends without ever waiting: a reply to a client that is gone, or whose queue is full, is
    /// counted and dropped.
    private func send(_ content: [[UInt8]], to envelope: [[UInt8]], status: ReplyStatus) {
        self.replyCounts[Int(status.rawValue)] += 1
        self.metrics.reply(status)
        guard let router = self.router else { return }
        let last = envelope.count + content.count - 1
        var index = 0
        do {
            // ROUTER fails only on the first frame (unknown peer, full queue); later ones always go.
            for frame in envelope {
                try router.send(frame, more: index < last, dontWait: true)
                index += 1
            }
            for frame in content {
                try router.send(frame, more: index < last, dontWait: true)
                index += 1
            }
        } catch {
            self.statistics.unroutableReplies += 1
            if error.code == .wouldBlock {
                self.metrics.queueFull.increment()
            } else {
                self.metrics.unroutable.increment()
                if error.code != .hostUnreachable {
                    self.logger.warning("reply send failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
