import Foundation
import Synchronization

/// A program run as a separate process, with its output collected as it arrives.
///
/// Every wait takes a deadline; a process still running when the test ends is killed.
final class ChildProcess: Sendable {
    private struct State {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
    }

    /// The collected output, shared with the pipes' readability handlers.
    private final class Output: Sendable {
        let state = Mutex(State())
    }

    // Process and Pipe are not Sendable: they live behind Mutexes.
    private let process: Mutex<Process>
    private let pipes: Mutex<(out: Pipe, err: Pipe)>
    private let output = Output()
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

    init(executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        self.command = ([executable.lastPathComponent] + arguments).joined(separator: " ")
        self.process = Mutex(process)
        self.pipes = Mutex((out, err))
        let output = self.output
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            output.state.withLock { $0.stdout += data }
        }
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            output.state.withLock { $0.stderr += data }
        }
        try process.run()
    }

    deinit {
        self.process.withLock { process in
            if process.isRunning { process.terminate() }
        }
    }

    var pid: Int32 { self.process.withLock { $0.processIdentifier } }

    var stdout: String { self.output.state.withLock { String(decoding: $0.stdout, as: UTF8.self) } }
    var stderr: String { self.output.state.withLock { String(decoding: $0.stderr, as: UTF8.self) } }

    /// Sends a signal, such as SIGTERM, SIGKILL, SIGSTOP or SIGCONT.
    func signal(_ signal: Int32) {
        kill(self.pid, signal)
    }

    var isRunning: Bool { self.process.withLock { $0.isRunning } }

    /// Waits for the process to end; `nil` if it is still running at the deadline.
    ///
    /// Polls rather than blocks: tests share a small cooperative thread pool.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while self.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
        // Collect what the process wrote last, which the readability handlers may not have seen.
        self.pipes.withLock { pipes in
            for (pipe, isOut) in [(pipes.out, true), (pipes.err, false)] {
                pipe.fileHandleForReading.readabilityHandler = nil
                let rest = (try? pipe.fileHandleForReading.readToEnd()) ?? nil
                if let rest, !rest.isEmpty {
                    self.output.state.withLock { state in
                        if isOut { state.stdout += rest } else { state.stderr += rest }
                    }
                }
            }
        }
        return self.process.withLock { $0.terminationStatus }
    }

    /// Waits until stdout has a line starting with `prefix` and returns it.
    func waitForLine(prefix: String, inStderr: Bool = false, timeout: Duration = .seconds(20)) async -> String? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            let text = inStderr ? self.stderr : self.stdout
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                return String(line)
            }
            if !self.process.withLock({ $0.isRunning }) {
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
