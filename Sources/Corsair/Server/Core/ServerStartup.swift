import ShardMap
import Dispatch
import Synchronization

/// Carries the I/O thread's bind result back to the thread that made the server.
final class ServerStartup: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<Result<[String], CorsairServerError>?>(nil)

    /// Reports the bound endpoints or the failure. I/O thread, once.
    func report(_ result: Result<[String], CorsairServerError>) {
        self.result.withLock { $0 = result }
        self.done.signal()
    }

    /// Waits for the report. Binding takes milliseconds; the bound only guards against a thread
    /// that never ran.
    func wait(timeout: Duration) throws(CorsairServerError) -> [String] {
        let nanoseconds = Int(timeout.components.seconds) * 1_000_000_000 + Int(timeout.components.attoseconds / 1_000_000_000)
        guard self.done.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success,
              let result = self.result.withLock({ $0 })
        else {
            throw CorsairServerError(code: .socketError, message: "the server's I/O thread did not start within \(DurationText.format(timeout))")
        }
        return try result.get()
    }
}
