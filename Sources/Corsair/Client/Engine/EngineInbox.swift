import DequeModule
import Synchronization

/// What callers hand the I/O thread: new calls, cancellations and the order to close.
///
/// The only state shared between callers and the I/O thread; a Mutex guards it, and every change
/// is followed by a ``Wakeup`` signal so the thread sees it without polling.
final class EngineInbox: Sendable {
    struct Contents {
        var calls: Deque<PendingCall.Submission> = []
        var cancellations: [UInt64] = []
        var closing = false
        var closed = false
        var onClosed: [@Sendable () -> Void] = []
    }

    let wakeup: Wakeup
    private let contents = Mutex(Contents())

    init(wakeup: Wakeup) {
        self.wakeup = wakeup
    }

    /// Queues a call; `false` when the engine is closing and the call was not taken.
    func submit(_ submission: PendingCall.Submission) -> Bool {
        let accepted = self.contents.withLock { contents in
            guard !contents.closing else { return false }
            contents.calls.append(submission)
            return true
        }
        if accepted { self.wakeup.signal() }
        return accepted
    }

    func cancel(_ requestID: UInt64) {
        self.contents.withLock { $0.cancellations.append(requestID) }
        self.wakeup.signal()
    }

    /// Asks the loop to stop; `onClosed` runs once it has (at once if it already has).
    func close(onClosed: (@Sendable () -> Void)? = nil) {
        let runNow = self.contents.withLock { contents -> Bool in
            contents.closing = true
            if contents.closed { return true }
            if let onClosed { contents.onClosed.append(onClosed) }
            return false
        }
        if runNow { onClosed?() }
        self.wakeup.signal()
    }

    /// Takes everything queued. I/O thread only.
    func take() -> (calls: Deque<PendingCall.Submission>, cancellations: [UInt64], closing: Bool) {
        self.contents.withLock { contents in
            defer {
                contents.calls.removeAll(keepingCapacity: true)
                contents.cancellations.removeAll(keepingCapacity: true)
            }
            return (contents.calls, contents.cancellations, contents.closing)
        }
    }

    /// Marks the loop finished, returning the calls that arrived too late and the waiters to run.
    func finish() -> (calls: Deque<PendingCall.Submission>, onClosed: [@Sendable () -> Void]) {
        self.contents.withLock { contents in
            contents.closed = true
            contents.closing = true
            let result = (contents.calls, contents.onClosed)
            contents.calls.removeAll()
            contents.onClosed.removeAll()
            return result
        }
    }
}
