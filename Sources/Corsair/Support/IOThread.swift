import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts the dedicated threads that own Corsair's sockets.
enum IOThread {
    /// Starts `body` on a new thread that first names itself `name`.
    /// - Parameters:
    ///   - name: What `top -H`, perf and debuggers show; Linux keeps the first 15 bytes.
    ///   - body: The thread's work; the thread ends when it returns.
    static func start(named name: String, _ body: @escaping @Sendable () -> Void) {
        Thread {
            Self.nameCurrentThread(name)
            body()
        }.start()
    }

    /// Names the calling thread.
    ///
    /// Foundation's `Thread.name` reaches the OS thread only when the setter runs after `start()`
    /// has recorded the thread, which a new thread naming itself loses a few times in a hundred;
    /// so the name is written where Linux keeps it.
    static func nameCurrentThread(_ name: String) {
        #if os(Linux)
        let descriptor = open("/proc/thread-self/comm", O_WRONLY)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        #endif
    }
}
