import DequeModule
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What callers hand the I/O thread: new calls, cancellations, tasks to run and the order to close.
///
/// The only state shared between callers and the I/O thread; a Mutex guards it. A change made
/// from another thread is followed by a ``Wakeup`` signal so the thread sees it without polling;
/// a change made on the I/O thread itself (a task running on ``EngineExecutor``) needs none,
/// because the loop looks at the inbox before it waits.
final class EngineInbox: Sendable {
    struct Contents {
        var calls: Deque<PendingCall.Submission> = []
        var cancellations: [CancellationFlag] = []
        var jobs: [UnownedJob] = []
        var closing = false
        var closed = false
        var onClosed: [@Sendable () -> Void] = []
        /// The I/O thread, once its loop runs.
        var ioThread: pthread_t?

        var isOnIOThread: Bool {
            guard let ioThread else { return false }
            return pthread_equal(ioThread, pthread_self()) != 0
        }
    }

    let wakeup: Wakeup
    private let contents = Mutex(Contents())

    init(wakeup: Wakeup) {
        self.wakeup = wakeup
    }

    /// Records the calling thread as the I/O thread. Called once, by that thread.
    func attachIOThread() {
        self.contents.withLock { $0.ioThread = pthread_self() }
    }

    /// Whether the caller runs on the I/O thread, where waiting for the engine would deadlock.
    var isOnIOThread: Bool {
        self.contents.withLock { $0.isOnIOThread }
    }

    /// Queues a call; `false` when the engine is closing and the call was not taken.
    func submit(_ submission: PendingCall.Submission) -> Bool {
        self.change { contents in
            guard !contents.closing else { return false }
            contents.calls.append(submission)
            return true
        }
    }

    /// Asks the I/O thread to cancel the call that carries `flag`.
    func cancel(_ flag: CancellationFlag) {
        _ = self.change { contents in
            contents.cancellations.append(flag)
            return true
        }
    }

    /// Queues a task's job for the I/O thread; `false` once the loop has finished.
    func enqueue(_ job: UnownedJob) -> Bool {
        self.change { contents in
            guard !contents.closed else { return false }
            contents.jobs.append(job)
            return true
        }
    }

    /// Applies `body` under the lock, then wakes the I/O thread when `body` took the change and
    /// the caller is another thread.
    private func change(_ body: (inout Contents) -> Bool) -> Bool {
        let (taken, wake) = self.contents.withLock { contents in
            let taken = body(&contents)
            return (taken, taken && !contents.isOnIOThread)
        }
        if wake { self.wakeup.signal() }
        return taken
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

    /// Whether anything waits to be taken, so that the loop must not block. I/O thread only.
    var hasWork: Bool {
        self.contents.withLock { !$0.calls.isEmpty || !$0.cancellations.isEmpty || !$0.jobs.isEmpty || $0.closing }
    }

    /// Takes everything queued but the jobs into `calls` and `cancellations`, which must be empty,
    /// and returns whether the engine is closing. I/O thread only.
    ///
    /// Swapping hands the buffers back and forth: returning copies would leave the inbox sharing
    /// them, and its next append would copy every queued submission into a new buffer.
    func take(calls: inout Deque<PendingCall.Submission>, cancellations: inout [CancellationFlag]) -> Bool {
        self.contents.withLock { contents in
            swap(&calls, &contents.calls)
            swap(&cancellations, &contents.cancellations)
            return contents.closing
        }
    }

    /// Takes the queued jobs into `jobs`, which must be empty. I/O thread only.
    func takeJobs(into jobs: inout [UnownedJob]) {
        self.contents.withLock { swap(&$0.jobs, &jobs) }
    }

    /// Marks the loop finished, returning the calls that arrived too late, the jobs it will not run,
    /// and the waiters to run.
    func finish() -> (calls: Deque<PendingCall.Submission>, jobs: [UnownedJob], onClosed: [@Sendable () -> Void]) {
        self.contents.withLock { contents in
            contents.closed = true
            contents.closing = true
            let result = (contents.calls, contents.jobs, contents.onClosed)
            contents.calls.removeAll()
            contents.jobs.removeAll()
            contents.onClosed.removeAll()
            return result
        }
    }
}
