/// The server's decision about one Corsair request, in the order docs/PROTOCOL.md lists the checks
/// after decoding: deadline, replay, ownership (with one shared map refresh), in-flight bound.
///
/// A state machine with no socket, thread or clock of its own: it owns the replay cache and the
/// refresh bookkeeping, and is told the time and the number of handlers running, so every
/// transition is tested without sockets or sleeping. ``ServerCore`` drives it with what arrives on
/// the ROUTER and carries out what it decides.
struct ServerAdmission {
    /// The configuration values admission uses.
    struct Limits: Sendable {
        var minimumRemainingDeadline: Duration
        var maxInFlight: Int
        var overloadRetryAfter: Duration
        var olderMapRetryAfter: Duration
    }

    /// One request as admission sees it.
    struct Request {
        var key: ReplayCache.Key
        var remainingDeadline: Duration?
        var routingKey: [UInt8]?
        var shardID: String?
        /// The epoch of the client's map.
        var epoch: UInt64
        /// Where a retry of a running request is answered when that run ends.
        var envelope: [[UInt8]]
    }

    /// What to do with a request. Every case but ``park(startRefresh:)`` and
    /// ``joinedRunning`` is answered at once; epochs are those of the map that decided.
    enum Decision: Equatable {
        /// At most the minimum of its deadline was left on arrival.
        case deadlineExpired(epoch: UInt64)
        /// Answered before: send this reply again.
        case replay(content: [[UInt8]], status: ReplyStatus)
        /// Its first run is still going: the envelope waits for that run's reply.
        case joinedRunning
        case moved(shardID: String, endpoint: String, epoch: UInt64)
        case wrongShard(epoch: UInt64)
        case serverMapOlder(epoch: UInt64, retryAfter: Duration)
        /// Wait for the map refresh and be decided again, with `afterRefresh`; when `startRefresh`,
        /// none is in flight and the caller starts one.
        case park(startRefresh: Bool)
        case overloaded(epoch: UInt64, retryAfter: Duration)
        /// Run the handler; the reply carries `epoch`.
        case run(epoch: UInt64)
    }

    let limits: Limits
    let ownership: (any ShardOwnership)?
    private(set) var cache: ReplayCache
    /// Whether a map refresh is in flight; requests from newer epochs wait for it.
    private(set) var refreshInFlight = false
    /// Requests waiting for the refresh in flight, bounded like the handlers.
    private(set) var parked = 0
    private var lastRefreshEnded: ContinuousClock.Instant?

    init(limits: Limits, ownership: (any ShardOwnership)?, cache: ReplayCache) {
        self.limits = limits
        self.ownership = ownership
        self.cache = cache
    }

    /// The epoch of the server's map; 0 without ownership.
    var epoch: UInt64 {
        self.ownership?.epoch ?? 0
    }

    /// Decides one request.
    ///
    /// Replay comes before ownership: a retry of a request this server already ran (or is running)
    /// gets that run's reply even if the key has moved away since, so a reshard never makes a
    /// request run twice, once here and once at the new owner.
    /// - Parameters:
    ///   - inFlight: Handlers running now.
    ///   - afterRefresh: The request waited for a map refresh; it is not parked again.
    mutating func admit(_ request: Request, inFlight: Int, now: ContinuousClock.Instant, afterRefresh: Bool = false) -> Decision {
        var epoch = self.epoch
        if let remaining = request.remainingDeadline, remaining <= self.limits.minimumRemainingDeadline {
            return .deadlineExpired(epoch: epoch)
        }
        switch self.cache.lookup(request.key, now: now) {
        case .done(let content, let status):
            return .replay(content: content, status: status)
        case .running:
            self.cache.addWaiter(request.key, envelope: request.envelope)
            return .joinedRunning
        case .miss:
            break
        }
        if let ownership = self.ownership, request.routingKey != nil || request.shardID != nil {
            let query = OwnershipQuery(routingKey: request.routingKey, shardID: request.shardID, clientEpoch: request.epoch)
            switch ownership.decide(query) {
            case .owned(let mapEpoch):
                epoch = mapEpoch
            case .moved(let shardID, let endpoint, let mapEpoch):
                return .moved(shardID: shardID, endpoint: endpoint, epoch: mapEpoch)
            case .unknownShard(let mapEpoch):
                return .wrongShard(epoch: mapEpoch)
            case .clientMapNewer(let mapEpoch):
                return self.clientMapNewer(epoch: mapEpoch, now: now, afterRefresh: afterRefresh)
            }
        }
        return self.admitToRun(inFlight: inFlight, epoch: epoch)
    }

    /// The in-flight bound, the only check a raw request gets.
    func admitToRun(inFlight: Int, epoch: UInt64) -> Decision {
        guard inFlight < self.limits.maxInFlight else {
            return .overloaded(epoch: epoch, retryAfter: self.limits.overloadRetryAfter)
        }
        return .run(epoch: epoch)
    }

    /// A request from a newer epoch than the map's waits for one shared refresh and is decided
    /// again; after a refresh, or when the last one ended too recently to start another (a client
    /// claiming an epoch no file has cannot make the server reload on every request), it is
    /// answered "server map older".
    private mutating func clientMapNewer(epoch: UInt64, now: ContinuousClock.Instant, afterRefresh: Bool) -> Decision {
        let retryAfter = self.limits.olderMapRetryAfter
        let tooSoon = !self.refreshInFlight && self.lastRefreshEnded.map { $0.duration(to: now) < retryAfter } == true
        guard !afterRefresh, !tooSoon, self.parked < self.limits.maxInFlight else {
            return .serverMapOlder(epoch: epoch, retryAfter: retryAfter)
        }
        self.parked += 1
        defer { self.refreshInFlight = true }
        return .park(startRefresh: !self.refreshInFlight)
    }

    /// The refresh ended: every parked request is to be admitted again, with `afterRefresh`.
    mutating func refreshEnded(now: ContinuousClock.Instant) {
        self.refreshInFlight = false
        self.lastRefreshEnded = now
        self.parked = 0
    }

    /// Records that a handler started for `key`.
    /// - Returns: Where the replay cache keeps the run, to pass to ``finished(_:slot:jobID:content:status:now:)``.
    @discardableResult
    mutating func started(_ key: ReplayCache.Key, jobID: UInt64) -> ReplayCache.Slot? {
        self.cache.started(key, jobID: jobID)
    }

    /// Records a run's reply; returns the envelopes of the retries that waited for it.
    ///
    /// A run that answered at once, with nothing able to arrive between its start and its end (an
    /// inline handler), need not be recorded as started: this records its reply alone.
    mutating func finished(
        _ key: ReplayCache.Key,
        slot: ReplayCache.Slot? = nil,
        jobID: UInt64,
        content: [[UInt8]],
        status: ReplyStatus,
        now: ContinuousClock.Instant
    ) -> [[[UInt8]]] {
        self.cache.finished(key, slot: slot, jobID: jobID, content: content, status: status, now: now)
    }

    /// Forgets replies whose time has passed.
    mutating func expire(now: ContinuousClock.Instant) {
        self.cache.expire(now: now)
    }
}
