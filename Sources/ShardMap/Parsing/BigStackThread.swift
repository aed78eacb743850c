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

    /// Marks the threads this type starts, so that work already on one runs in place.
    private static let marker = "corsair.shardmap.big-stack"

    private static var isCurrentThreadBig: Bool {
        Thread.current.threadDictionary[Self.marker] != nil
    }

    /// The closure's result, or `nil` if the thread did not finish within ``startTimeout``.
    ///
    /// Blocks the calling thread while it waits; async callers use ``run(_:)-async``.
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T? {
        if Self.isCurrentThreadBig { return body() }
        let result = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Self.start {
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
            Self.start { continuation.resume(returning: body()) }
        }
    }

    private static func start(_ work: @escaping @Sendable () -> Void) {
        let thread = Thread {
            Thread.current.threadDictionary[Self.marker] = true
            work()
        }
        thread.stackSize = Self.stackSize
        thread.name = "corsair.shardmap.parse"
        thread.start()
    }

    /// Carries the result across threads; a class because a `Mutex` cannot be captured by itself.
    private final class ResultBox<T: Sendable>: Sendable {
        let value = Mutex<T?>(nil)
    }
}
