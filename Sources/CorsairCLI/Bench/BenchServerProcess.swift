import Foundation
import Synchronization

/// `corsair serve` with the echo handler in a child process, for the fan-in rounds: the server's
/// CPU is then its whole process's, told apart from the client's without guessing which thread
/// did what.
final class BenchServerProcess: Sendable {
    /// Where clients connect, with the wildcard port resolved.
    let endpoint: String
    let pid: pid_t
    private let exit = Exit()
    /// Kept so that the child's termination handler outlives `init`.
    private let process: Process

    /// Starts this executable's `serve --bind tcp://127.0.0.1:*` and waits for its `listening`
    /// line; logs below warnings are kept out of the bench's stderr.
    /// - Throws: ``BenchError`` when it cannot start, exits, or has not bound within `timeout`.
    init(timeout: Duration = .seconds(60)) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["serve", "--bind", "tcp://127.0.0.1:*", "--handler", "echo", "--max-message-size", "4MiB"]
        var environment = ProcessInfo.processInfo.environment
        environment["CORSAIR_LOG_LEVEL"] = "warning"
        // Stops the server should the bench be killed without a chance to stop it.
        environment[ParentWatch.environmentKey] = "\(getpid())"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        let exit = self.exit
        process.terminationHandler = { _ in exit.ended() }
        do {
            try process.run()
        } catch {
            throw BenchError("cannot start the bench server (\(process.executableURL?.path ?? "?") serve): \(error)")
        }
        self.process = process
        let pid = process.processIdentifier
        self.pid = pid
        // A server that never binds is stopped when the time is up, which ends its output.
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            exit.terminate(pid)
        }
        defer { watchdog.cancel() }
        guard let line = await Self.firstLine(of: output.fileHandleForReading), line.hasPrefix("listening ") else {
            exit.terminate(pid)
            throw BenchError("the bench server (corsair serve) exited or did not bind within \(timeout)")
        }
        self.endpoint = String(line.dropFirst("listening ".count))
    }

    /// Asks the server to stop (SIGTERM) and waits until it has exited.
    func stop() async {
        self.exit.terminate(self.pid)
        await self.exit.wait()
    }

    /// The child's end, as its termination handler reports it.
    private final class Exit: Sendable {
        private let state = Mutex<(ended: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        func ended() {
            let waiters = self.state.withLock { state in
                state.ended = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }

        /// Sends SIGTERM unless the child has ended (and its pid may belong to another process).
        func terminate(_ pid: pid_t) {
            self.state.withLock { state in
                if !state.ended { _ = kill(pid, SIGTERM) }
            }
        }

        func wait() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ended = self.state.withLock { state in
                    if !state.ended { state.waiters.append(continuation) }
                    return state.ended
                }
                if ended { continuation.resume() }
            }
        }
    }

    /// The first line the child writes, read on a thread of its own (a blocking read has no place
    /// on the concurrency pool); nil when the output ends first.
    private static func firstLine(of handle: FileHandle) async -> String? {
        await withCheckedContinuation { continuation in
            Thread {
                var data = Data()
                while !data.contains(UInt8(ascii: "\n")) {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    data.append(chunk)
                }
                let line = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).first
                continuation.resume(returning: data.contains(UInt8(ascii: "\n")) ? line.map { String(decoding: $0, as: UTF8.self) } : nil)
            }.start()
        }
    }
}
