/// Runs tasks on a client engine's I/O thread, between its polls.
///
/// A task that prefers this executor sends its requests, and resumes after their replies, on the
/// thread that owns the sockets: no thread hand-off in either direction, which is most of what a
/// round trip through the engine costs beyond the network. Requests from other tasks and threads
/// work as before.
///
/// While such a task runs, the engine serves nobody else, so keep the work between requests short
/// and never block in it: no ``ClientEngine/requestBlocking(_:to:options:)``, no
/// ``ClientEngine/close()``, no long-held locks or synchronous file and network I/O. Hand heavy
/// work to another executor.
///
/// ```swift
/// try await withTaskExecutorPreference(engine.executor) {
///     for key in keys {
///         let reply = try await engine.request([Array(key.utf8)], to: endpoint)
///         total += reply.body.count
///     }
/// }
/// ```
///
/// Once the engine has stopped, tasks that still prefer it run on the global concurrent executor.
public final class EngineExecutor: TaskExecutor {
    private let inbox: EngineInbox

    init(inbox: EngineInbox) {
        self.inbox = inbox
    }

    /// Queues a job for the I/O thread.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if !self.inbox.enqueue(job) {
            // The loop has finished: no task may be stranded, so the shared pool takes it on.
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }
}
