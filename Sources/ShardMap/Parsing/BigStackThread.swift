import Foundation
import Synchronization

/// Runs a closure on a thread of its own with a large stack, and waits for it.
///
/// Yams composes a document recursively, using a few KiB of stack per level of nesting, and
/// libyaml allows up to 1000 levels. That fits the main thread's 8 MiB, but not a 512 KiB
/// secondary or Dispatch thread, where a deeply nested file would crash the process. Parsing on a
/// thread with ``stackSize`` bytes keeps a broken file from crashing anything, whichever thread
/// the caller is on. Config files load rarely, so the thread's cost does not matter.
enum BigStackThread {
    /// Four times what 1000 levels of Yams' recursion were measured to need.
    static let stackSize = 16 << 20

    /// How long to wait before concluding the thread never started.
    static let startTimeout: DispatchTimeInterval = .seconds(60)

    /// The closure's result, or `nil` if the thread did not finish within ``startTimeout``.
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T? {
        let result = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let value = body()
            result.value.withLock { $0 = value }
            done.signal()
        }
        thread.stackSize = Self.stackSize
        thread.name = "corsair.shardmap.parse"
        thread.start()
        guard done.wait(timeout: .now() + Self.startTimeout) == .success else { return nil }
        return result.value.withLock { $0 }
    }

    /// Carries the result across threads; a class because a `Mutex` cannot be captured by itself.
    private final class ResultBox<T: Sendable>: Sendable {
        let value = Mutex<T?>(nil)
    }
}
