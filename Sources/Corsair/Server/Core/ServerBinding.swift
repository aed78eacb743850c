import Synchronization

/// The outcome of binding, which ``CorsairServer/run()`` reaches on its I/O thread, for callers of
/// ``CorsairServer/boundEndpoints`` who wait for it without blocking a thread.
final class ServerBinding: Sendable {
    private struct State {
        var result: Result<[String], CorsairServerError>?
        var waiters: [UInt64: CheckedContinuation<Result<[String], CorsairServerError>, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Records the bound endpoints or the failure and wakes every waiter; the first report wins.
    func report(_ result: Result<[String], CorsairServerError>) {
        let waiters = self.state.withLock { state -> [CheckedContinuation<Result<[String], CorsairServerError>, Never>] in
            guard state.result == nil else { return [] }
            state.result = result
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            waiter.resume(returning: result)
        }
    }

    /// The report, once there is one (at once if there is); a cancelled wait throws `notBound`.
    func endpoints() async throws(CorsairServerError) -> [String] {
        let id = self.state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<[String], CorsairServerError>, Never>) in
                let now = self.state.withLock { state -> Result<[String], CorsairServerError>? in
                    if let result = state.result { return result }
                    if Task.isCancelled { return .failure(Self.cancelled) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let waiter = self.state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: .failure(Self.cancelled))
        }
        return try result.get()
    }

    private static let cancelled = CorsairServerError(
        code: .notBound,
        message: "stopped waiting for the server's bound endpoints: the task was cancelled"
    )
}
