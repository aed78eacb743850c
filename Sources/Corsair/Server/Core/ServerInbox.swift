import Synchronization

/// What the rest of the process hands a server's I/O thread: finished handlers, the order to start
/// serving and the order to stop.
///
/// The only state shared with the I/O thread; a Mutex guards it, and every change is followed by a
/// ``Wakeup`` signal so the thread sees it without polling.
final class ServerInbox: Sendable {
    /// A handler's reply, ready to send.
    struct Completion: Sendable {
        let jobID: UInt64
        /// The frames after the envelope: reply header and body, or the raw body.
        let content: [[UInt8]]
        let status: ReplyStatus
        let duration: Duration
        /// The handler's task was cancelled (the server is stopping): nothing is sent for it.
        var isDiscarded = false
    }

    struct Contents {
        var completions: [Completion] = []
        var started = false
        /// Whether a map refresh the loop asked for has finished since it last looked.
        var refreshed = false
        /// When the loop must be done draining; the earliest of every stop asked for.
        var stopDeadline: ContinuousClock.Instant?
        /// The drain timeout of that stop, as asked for: what the logs show.
        var drainTimeout: Duration = .zero
        var finished = false
        var outcome: Result<Void, CorsairServerError> = .success(())
        var onFinished: [@Sendable (Result<Void, CorsairServerError>) -> Void] = []
    }

    let wakeup: Wakeup
    private let contents = Mutex(Contents())

    init(wakeup: Wakeup) {
        self.wakeup = wakeup
    }

    enum StartResult {
        case started
        case alreadyStarted
        case finished(Result<Void, CorsairServerError>)
    }

    /// Lets the loop read requests, once.
    func start() -> StartResult {
        let result = self.contents.withLock { contents -> StartResult in
            if contents.finished { return .finished(contents.outcome) }
            guard !contents.started, contents.stopDeadline == nil else { return .alreadyStarted }
            contents.started = true
            return .started
        }
        if case .started = result { self.wakeup.signal() }
        return result
    }

    /// Asks the loop to stop reading requests and finish within `drainTimeout`; a later, shorter
    /// stop wins over an earlier one.
    func stop(drainTimeout: Duration) {
        let deadline = ContinuousClock.now.advanced(by: drainTimeout)
        self.contents.withLock { contents in
            if let current = contents.stopDeadline, current <= deadline { return }
            contents.stopDeadline = deadline
            contents.drainTimeout = drainTimeout
        }
        self.wakeup.signal()
    }

    /// Hands a handler's reply to the loop; dropped once the loop has finished.
    ///
    /// Only the first reply since the loop last took them signals the ``Wakeup``: the loop takes
    /// every reply waiting at once, so the later ones ride on that signal, and a busy server pays one
    /// pipe write per turn of its loop rather than one per request.
    func complete(_ completion: Completion) {
        let signal = self.contents.withLock { contents -> Bool in
            guard !contents.finished else { return false }
            contents.completions.append(completion)
            return contents.completions.count == 1
        }
        if signal { self.wakeup.signal() }
    }

    /// Tells the loop that the map refresh it asked for has finished.
    func mapRefreshed() {
        let accepted = self.contents.withLock { contents -> Bool in
            guard !contents.finished else { return false }
            contents.refreshed = true
            return true
        }
        if accepted { self.wakeup.signal() }
    }

    /// Runs `callback` once the loop has finished (at once if it has).
    func whenFinished(_ callback: @escaping @Sendable (Result<Void, CorsairServerError>) -> Void) {
        let outcome = self.contents.withLock { contents -> Result<Void, CorsairServerError>? in
            guard contents.finished else {
                contents.onFinished.append(callback)
                return nil
            }
            return contents.outcome
        }
        if let outcome { callback(outcome) }
    }

    /// Takes the finished handlers, the orders and the news of a finished map refresh. I/O thread only.
    func take(
        into completions: inout [Completion]
    ) -> (started: Bool, stop: (deadline: ContinuousClock.Instant, drainTimeout: Duration)?, refreshed: Bool) {
        self.contents.withLock { contents in
            swap(&completions, &contents.completions)
            defer { contents.refreshed = false }
            return (contents.started, contents.stopDeadline.map { ($0, contents.drainTimeout) }, contents.refreshed)
        }
    }

    /// Marks the loop finished and runs the waiters. I/O thread only, once.
    func finish(_ outcome: Result<Void, CorsairServerError>) {
        let callbacks = self.contents.withLock { contents in
            contents.finished = true
            contents.outcome = outcome
            contents.completions.removeAll()
            defer { contents.onFinished.removeAll() }
            return contents.onFinished
        }
        for callback in callbacks {
            callback(outcome)
        }
    }
}
