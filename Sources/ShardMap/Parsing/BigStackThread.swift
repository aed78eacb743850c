import Foundation
import Synchronization

/// Runs closures, one at a time, on one long-lived thread with a large stack.
///
/// Yams composes a document recursively, using a few KiB of stack per level of nesting, and
/// libyaml allows up to 1000 levels. That fits the main thread's 8 MiB, but not a 512 KiB
/// secondary or Dispatch thread, where a deeply nested file would crash the process. Parsing on a
/// thread with ``stackSize`` bytes keeps a broken file from crashing anything, whichever thread
/// the caller is on.
///
/// One thread serves the whole process, started on first use and parked on a semaphore between
/// jobs: a burst of reloads queues on it rather than starting a thread (and reserving a stack)
/// each, and the waits never hold a thread of the Swift concurrency pool.
enum BigStackThread {
    /// Four times what 1000 levels of Yams' recursion were measured to need.
    static let stackSize = 16 << 20

    /// How long a blocking caller waits before concluding the thread is stuck.
    static let startTimeout: DispatchTimeInterval = .seconds(60)

    /// Marks the worker thread, so that work already on it runs in place.
    private static let marker = "corsair.shardmap.big-stack"

    private static var isCurrentThreadBig: Bool {
        Thread.current.threadDictionary[Self.marker] != nil
    }

    /// The closure's result, or `nil` if it did not finish within ``startTimeout``.
    ///
    /// Blocks the calling thread while it waits; async callers use ``run(_:)-async``.
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T? {
        if Self.isCurrentThreadBig { return body() }
        let result = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Self.submit {
            let value = body()
            result.value.withLock { $0 = value }
            done.signal()
        }
        guard done.wait(timeout: .now() + Self.startTimeout) == .success else { return nil }
        return result.value.withLock { $0 }
    }

    /// The closure's result, awaited without blocking the caller's thread: for async callers, which
    /// share a small cooperative pool.
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            Self.submit { continuation.resume(returning: body()) }
        }
    }

    /// Queues `work` for the worker thread and returns at once.
    static func submit(_ work: @escaping @Sendable () -> Void) {
        Self.worker.submit(work)
    }

    private static let worker = Worker()

    /// The queue and the thread behind it.
    private final class Worker: Sendable {
        private struct State {
            var jobs: [@Sendable () -> Void] = []
            var started = false
        }

        private let state = Mutex(State())
        /// One signal per queued job.
        private let available = DispatchSemaphore(value: 0)

        func submit(_ work: @escaping @Sendable () -> Void) {
            let start = self.state.withLock { state -> Bool in
                state.jobs.append(work)
                defer { state.started = true }
                return !state.started
            }
            self.available.signal()
            if start {
                let thread = Thread { [self] in
                    Thread.current.threadDictionary[BigStackThread.marker] = true
                    self.loop()
                }
                thread.stackSize = BigStackThread.stackSize
                thread.name = "corsair.shardmap.parse"
                thread.start()
            }
        }

        private func loop() {
            while true {
                self.available.wait()
                let job = self.state.withLock { state -> (@Sendable () -> Void)? in
                    state.jobs.isEmpty ? nil : state.jobs.removeFirst()
                }
                job?()
            }
        }
    }

    /// Carries the result across threads; a class because a `Mutex` cannot be captured by itself.
    private final class ResultBox<T: Sendable>: Sendable {
        let value = Mutex<T?>(nil)
    }
}
