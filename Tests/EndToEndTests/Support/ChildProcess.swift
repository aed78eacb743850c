import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A program run as a separate process, with its output collected as it arrives.
///
/// Every wait takes a deadline; a process still running when the test ends is terminated.
///
/// Started with `posix_spawn` and read by plain threads rather than Foundation's `Process` and
/// `FileHandle.readabilityHandler`: on Linux, `Process.run()` crashes now and then from an over-read
/// in its descriptor scan (swift-corelibs-foundation PR #5472), and dispatch read sources on pipes
/// crash libdispatch's event loop when many children come and go at once. Both took the whole test
/// process down under the chaos suites' load.
final class ChildProcess: Sendable {
    private struct State {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var openStreams = 2
        /// The exit status, or for a process killed by a signal, the signal's number (as
        /// Foundation's `Process.terminationStatus` reports it); `nil` while it runs.
        var status: Int32?
    }

    /// The collected output and status, shared with the reader and waiter threads.
    private final class Output: Sendable {
        let state = Mutex(State())
    }

    /// Serialises spawns; see ``init(executable:_:environment:)``.
    private static let spawnLock = NSLock()

    private let output = Output()
    let pid: Int32
    let command: String

    /// The directory holding the package's built products (`corsair`, `ZMQBaseline`).
    static let productsDirectory: URL = {
        // The test bundle lives in the same build folder as the executables.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("corsair").path),
              directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }()

    /// Starts a built product of this package.
    convenience init(_ product: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        try self.init(executable: Self.productsDirectory.appendingPathComponent(product), arguments, environment: environment)
    }

    /// Starts `executable` with stdin from /dev/null, stdout and stderr collected, every signal
    /// unblocked and SIGINT, SIGTERM, SIGHUP and SIGPIPE at their defaults, whatever the spawning
    /// thread had.
    init(executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        self.command = ([executable.lastPathComponent] + arguments).joined(separator: " ")

        // One spawn at a time, with the pipes close-on-exec, so that no other child inherits them
        // (and holds them open) between pipe() and fcntl().
        Self.spawnLock.lock()
        defer { Self.spawnLock.unlock() }
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw Self.failure("pipe") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0])
            close(outPipe[1])
            throw Self.failure("pipe")
        }
        for fd in outPipe + errPipe {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        // posix_spawn passes on every descriptor not marked close-on-exec (Foundation's Process
        // closes them in the child): mark this process's, so that a child never holds another
        // test's socket or pipe open.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let fd = Int32(name), fd > 2 {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable.path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable.path, &actions, &attributes, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw Self.failure("posix_spawn \(executable.path)", code: spawned)
        }
        self.pid = pid
        let child = pid

        let output = self.output
        for (fd, isOut) in [(outPipe[0], true), (errPipe[0], false)] {
            Thread {
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { break }
                    output.state.withLock { state in
                        if isOut {
                            state.stdout += buffer[..<count]
                        } else {
                            state.stderr += buffer[..<count]
                        }
                    }
                }
                close(fd)
                output.state.withLock { $0.openStreams -= 1 }
            }.start()
        }
        Thread {
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
            let signal = status & 0x7F
            let code = signal == 0 ? (status >> 8) & 0xFF : signal
            output.state.withLock { $0.status = code }
        }.start()
    }

    deinit {
        if self.isRunning {
            kill(self.pid, SIGTERM)
        }
    }

    private static func failure(_ what: String, code: Int32 = errno) -> NSError {
        NSError(domain: NSPOSIXErrorDomain, code: Int(code), userInfo: [NSLocalizedDescriptionKey: "\(what): \(String(cString: strerror(code)))"])
    }

    var stdout: String { self.output.state.withLock { String(decoding: $0.stdout, as: UTF8.self) } }
    var stderr: String { self.output.state.withLock { String(decoding: $0.stderr, as: UTF8.self) } }

    /// Sends a signal, such as SIGTERM, SIGKILL, SIGSTOP or SIGCONT; nothing once the process has
    /// been reaped, so that a reused pid is never hit.
    func signal(_ signal: Int32) {
        self.output.state.withLock { state in
            if state.status == nil {
                kill(self.pid, signal)
            }
        }
    }

    var isRunning: Bool { self.output.state.withLock { $0.status == nil } }

    /// Waits for the process to end; `nil` if it is still running at the deadline.
    ///
    /// Polls rather than blocks: tests share a small cooperative thread pool. Once the process has
    /// ended, waits (briefly, bounded) for the last of its output.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while self.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
        // A grandchild that inherited the pipes could keep them open for ever: bound the wait.
        let drained = ContinuousClock.now.advanced(by: .seconds(2))
        while self.output.state.withLock({ $0.openStreams > 0 }), ContinuousClock.now < drained {
            try? await Task.sleep(for: .milliseconds(5))
        }
        return self.output.state.withLock { $0.status }
    }

    /// Waits until stdout (or stderr) has a line starting with `prefix` and returns it.
    func waitForLine(prefix: String, inStderr: Bool = false, timeout: Duration = .seconds(20)) async -> String? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            let text = inStderr ? self.stderr : self.stdout
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                return String(line)
            }
            if !self.isRunning {
                _ = await self.waitForExit(timeout: .seconds(1))
                let text = inStderr ? self.stderr : self.stdout
                return text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }).map(String.init)
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Runs a product to completion and returns its exit status and output.
    static func run(
        _ product: String,
        _ arguments: [String],
        timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32?, stdout: String, stderr: String) {
        let child = try ChildProcess(product, arguments)
        let status = await child.waitForExit(timeout: timeout)
        if status == nil { child.signal(SIGKILL) }
        return (status, child.stdout, child.stderr)
    }
}
