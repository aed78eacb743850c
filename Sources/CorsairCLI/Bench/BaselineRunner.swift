import Foundation

/// Runs the raw-libzmq `ZMQBaseline` program, found next to this executable, and decodes its JSON.
struct BaselineRunner: Sendable {
    struct RoundTrips: Decodable, Sendable {
        let p50_us: Double
        let p99_us: Double
        let p999_us: Double
    }

    struct FanIn: Decodable, Sendable {
        let rps: Double
        /// CPU µs per timed request: the REQ threads, the clients' context's libzmq threads, the
        /// echo thread, the server's context's libzmq threads.
        let client_app_cpu_us: Double
        let client_io_cpu_us: Double
        let server_app_cpu_us: Double
        let server_io_cpu_us: Double
    }

    let executable: URL

    init() throws {
        let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let candidate = own.deletingLastPathComponent().appendingPathComponent("ZMQBaseline")
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw BenchError("ZMQBaseline not found at \(candidate.path); build it: swift build -c release --product ZMQBaseline")
        }
        self.executable = candidate
    }

    func roundTrips(size: Int, count: Int, warmup: Int) async throws -> LatencySummary {
        let result = try await self.run(JSONDecoder.self, RoundTrips.self, ["rtt", "--size", "\(size)", "--count", "\(count)", "--warmup", "\(warmup)"])
        return LatencySummary(p50: result.p50_us, p99: result.p99_us, p999: result.p999_us)
    }

    /// The ROUTER echo against `clients` lock-step REQ threads: the rate, and each side's CPU.
    func fanIn(clients: Int, requests: Int, size: Int) async throws -> ThroughputBench.Round {
        let result = try await self.run(
            JSONDecoder.self, FanIn.self, ["fanin", "--clients", "\(clients)", "--count", "\(requests)", "--size", "\(size)"]
        )
        let cpu = CPUPerRequest(
            client: .init(app: result.client_app_cpu_us, io: result.client_io_cpu_us),
            server: .init(app: result.server_app_cpu_us, io: result.server_io_cpu_us)
        )
        return .init(rps: result.rps, cpu: cpu)
    }

    /// Runs the program to its end without blocking a concurrency thread: the termination handler
    /// resumes the caller.
    private func run<Output: Decodable>(_: JSONDecoder.Type, _: Output.Type, _ arguments: [String]) async throws -> Output {
        let process = Process()
        process.executableURL = self.executable
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard status == 0 else {
            throw BenchError("ZMQBaseline \(arguments.joined(separator: " ")) exited \(status): \(stderr)")
        }
        return try JSONDecoder().decode(Output.self, from: stdout)
    }
}
