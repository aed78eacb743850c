import Corsair
import Logging
import ZeroMQ

/// An in-process ``CorsairServer`` serving in a task of its own, for the benchmarks.
final class BenchServer: Sendable {
    let server: CorsairServer
    /// Where clients connect, with the wildcard port resolved.
    let endpoint: String
    private let task: Task<Void, any Error>

    /// Binds `endpoint` (a wildcard port by default) and starts serving, with the default replay
    /// cache (its byte bound keeps the 1 MiB round trips to 64 MiB of remembered replies); returns
    /// once bound.
    init(
        endpoint: String = "tcp://127.0.0.1:*",
        handler: some RequestHandler = EchoHandler(),
        context: Context? = nil
    ) async throws {
        var configuration = CorsairServer.Configuration(endpoints: [endpoint])
        configuration.context = context
        configuration.logger = BenchServer.quietLogger
        configuration.maxMessageSize = 4 << 20
        let server = try CorsairServer(configuration: configuration, handler: handler)
        let task = Task { try await server.run() }
        do {
            self.endpoint = try await server.boundEndpoints[0]
        } catch {
            task.cancel()
            throw error
        }
        self.server = server
        self.task = task
    }

    /// Stops at once (running handlers are cancelled, their clients get no reply) and waits until
    /// the sockets are closed and the port is free.
    func stop() async {
        self.task.cancel()
        _ = await self.task.result
    }

    /// Benchmarks keep libraries quiet: a log line per server start would be noise.
    static let quietLogger: Logger = {
        var logger = Logger(label: "corsair.bench")
        logger.logLevel = .error
        return logger
    }()
}
