import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Ends a child `corsair serve` whose parent died without stopping it.
///
/// `corsair bench` runs its fan-in server as a child process and stops it with SIGTERM; when the
/// bench itself is SIGKILLed nothing would. A parent that sets `CORSAIR_PARENT_PID` to its pid gets
/// the child to send itself SIGTERM (the graceful path, as if the parent had asked) once it is
/// re-parented. Polling `getppid()` rather than `PR_SET_PDEATHSIG`: that signal follows the thread
/// that spawned the child, and a concurrency-pool thread may exit long before the bench does.
enum ParentWatch {
    static let environmentKey = "CORSAIR_PARENT_PID"

    /// Starts the watch when the environment names a parent; returns at once otherwise.
    static func startIfAsked(every interval: Duration = .milliseconds(500)) {
        guard let text = ProcessInfo.processInfo.environment[Self.environmentKey], let parent = pid_t(text), parent > 1 else {
            return
        }
        Task.detached {
            while getppid() == parent {
                try? await Task.sleep(for: interval)
            }
            _ = kill(getpid(), SIGTERM)
        }
    }
}
