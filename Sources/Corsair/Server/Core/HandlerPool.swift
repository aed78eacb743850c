import DequeModule
import Logging
import Synchronization

/// Hands admitted requests from the server's I/O thread to handler tasks that live in the task
/// group ``CorsairServer/run()`` owns.
///
/// A task group can only be grown by its owner, and asking the owner for a task per request would
/// add a hop to every request. So the group holds workers that outlive one request: the I/O thread
/// resumes an idle worker directly (one hop, as a new task would be), and asks the owner for a new
/// worker only when none is idle. Workers are never more than the requests in flight at the busiest
/// moment, which the server's in-flight bound limits; they end when the server has stopped.
final class HandlerPool: Sendable {
    /// One admitted request.
    struct Job: Sendable {
        let jobID: UInt64
        let request: ServerRequest
        let mode: ServerCore.ReplyMode
    }

    /// What the group's owner is asked to do next.
    enum Demand: Sendable, Equatable {
        /// Add a worker.
        case spawn
        /// The server has stopped: no more workers; cancel the running ones when `cancelRunning`
        /// (the drain timeout passed), then await them.
        case finished(cancelRunning: Bool)
    }

    private struct State {
        var pending: Deque<Job> = []
        /// Workers waiting for a job, the most recently idle last (its stack is warm).
        var idle: [CheckedContinuation<Job?, Never>] = []
        /// Workers asked for and not yet running: each takes a pending job when it starts.
        var starting = 0
        /// Workers asked for that the owner has not yet been told about.
        var unannounced = 0
        var owner: CheckedContinuation<Demand, Never>?
        var finished: Demand?
    }

    private let state = Mutex(State())

    /// Runs `job` on an idle worker, or queues it for a worker that is starting or asked for.
    /// I/O thread only.
    func submit(_ job: Job) {
        enum Action {
            case resumeWorker(CheckedContinuation<Job?, Never>)
            case askOwner(CheckedContinuation<Demand, Never>?)
            case none
        }
        let action = self.state.withLock { state -> Action in
            guard state.finished == nil else { return .none }
            if let worker = state.idle.popLast() {
                return .resumeWorker(worker)
            }
            state.pending.append(job)
            guard state.pending.count > state.starting else { return .none }
            state.starting += 1
            if let owner = state.owner {
                state.owner = nil
                return .askOwner(owner)
            }
            state.unannounced += 1
            return .askOwner(nil)
        }
        switch action {
        case .resumeWorker(let worker): worker.resume(returning: job)
        case .askOwner(let owner): owner?.resume(returning: .spawn)
        case .none: break
        }
    }

    /// Ends the pool: idle workers return, jobs not yet started are dropped (the server has
    /// forgotten them), and the owner learns whether to cancel the workers still running.
    func finish(cancelRunning: Bool) {
        let (idle, owner) = self.state.withLock { state in
            guard state.finished == nil else { return ([CheckedContinuation<Job?, Never>](), CheckedContinuation<Demand, Never>?.none) }
            state.finished = .finished(cancelRunning: cancelRunning)
            state.pending.removeAll()
            defer {
                state.idle.removeAll()
                state.owner = nil
            }
            return (state.idle, state.owner)
        }
        for worker in idle {
            worker.resume(returning: nil)
        }
        owner?.resume(returning: .finished(cancelRunning: cancelRunning))
    }

    /// The owner's next order: add a worker, or stop. The owner calls this in a loop.
    func demand() async -> Demand {
        await withCheckedContinuation { (continuation: CheckedContinuation<Demand, Never>) in
            let now = self.state.withLock { state -> Demand? in
                if let finished = state.finished { return finished }
                if state.unannounced > 0 {
                    state.unannounced -= 1
                    return .spawn
                }
                state.owner = continuation
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// A worker's loop: runs jobs with `handler` until the pool finishes.
    func work(_ handler: any RequestHandler, inbox: ServerInbox, logger: Logger) async {
        var starting = true
        while let job = await self.next(starting: starting) {
            starting = false
            await ServerCore.execute(handler, job.request, mode: job.mode, jobID: job.jobID, inbox: inbox, logger: logger)
        }
    }

    /// The next job, waiting for one when none is queued; `nil` once the pool has finished.
    private func next(starting: Bool) async -> Job? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Job?, Never>) in
            enum Answer {
                case job(Job)
                case finished
                case wait
            }
            let answer = self.state.withLock { state -> Answer in
                if starting { state.starting -= 1 }
                if state.finished != nil { return .finished }
                if let job = state.pending.popFirst() { return .job(job) }
                state.idle.append(continuation)
                return .wait
            }
            switch answer {
            case .job(let job): continuation.resume(returning: job)
            case .finished: continuation.resume(returning: nil)
            case .wait: break
            }
        }
    }
}
