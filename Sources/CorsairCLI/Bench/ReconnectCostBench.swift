import Corsair
import Synchronization

/// The cost of one timeout-and-reconnect: a server takes the request and dies without answering, a
/// new server comes up on the same port, the attempt's deadline passes, and the engine opens a new
/// socket and resends. Measured from the `timedOut` event to the `succeeded` one.
struct ReconnectCostBench: Sendable {
    /// The attempt timeout: long enough for the new server to be listening before it passes, so
    /// the figure holds no waiting for the server, only the engine's and libzmq's work.
    static let attemptTimeout = Duration.milliseconds(150)

    /// A handler that never answers the first attempt of a request whose body is "hang"; it
    /// echoes anything else.
    private struct HangingHandler: RequestHandler {
        func handle(_ request: ServerRequest) async throws -> ServerReply {
            if request.attempt <= 1, request.body.first == Self.hang {
                try await Task.sleep(for: .seconds(3600))
            }
            return ServerReply(request.body)
        }

        static let hang = Array("hang".utf8)
    }

    private final class Timestamps: Sendable {
        let timedOut = Mutex<ContinuousClock.Instant?>(nil)
        let succeeded = Mutex<ContinuousClock.Instant?>(nil)
    }

    /// The median cost in microseconds over `samples` cycles, and every sample.
    func run(samples: Int) async throws -> (medianMicroseconds: Double, samples: [Double]) {
        let policy = RetryPolicy(
            attempts: 10,
            attemptTimeout: Self.attemptTimeout,
            deadline: nil,
            backoff: Backoff(initial: .zero, maximum: .zero, multiplier: 1, jitter: .none),
            budget: nil,
            circuitBreaker: nil
        )
        let engine = try ClientEngine(configuration: .init(retry: policy, logger: BenchServer.quietLogger))
        var server = try await BenchServer(handler: HangingHandler())
        let endpoint = server.endpoint
        var costs: [Double] = []
        do {
            // A cycle whose restart lost the race with the attempt deadline measures nothing; it is
            // taken again, a bounded number of times, since a loaded machine loses it now and then.
            var tries = 0
            var lastFailure: String?
            while costs.count < samples {
                tries += 1
                guard tries <= samples * 5 else {
                    throw BenchError(
                        "the server kept taking longer than the attempt timeout to restart" + (lastFailure.map { " (last: \($0))" } ?? "")
                    )
                }
                // A connected, pooled socket first, as a long-running client would have.
                _ = try await engine.request([[1]], to: Endpoint(endpoint))
                let stamps = Timestamps()
                let options = RequestOptions(onEvent: { event in
                    switch event {
                    case .timedOut: stamps.timedOut.withLock { $0 = $0 ?? .now }
                    case .succeeded: stamps.succeeded.withLock { $0 = .now }
                    default: break
                    }
                })
                let call = Task { try await engine.request([HangingHandler.hang], to: Endpoint(endpoint), options: options) }
                // Wait (bounded) until the server holds the request, then crash it and start anew.
                let held = ContinuousClock.now.advanced(by: .seconds(5))
                while server.server.statistics.inFlight == 0, ContinuousClock.now < held {
                    try await Task.sleep(for: .microseconds(200))
                }
                await server.stop()
                server = try await BenchServer(endpoint: endpoint, handler: HangingHandler())
                let restarted = ContinuousClock.now
                // A restart slower than all ten attempts (a loaded machine) is a lost race too.
                switch await call.result {
                case .success: break
                case .failure(let error):
                    lastFailure = "\(error)"
                    continue
                }
                guard let timedOut = stamps.timedOut.withLock({ $0 }), let succeeded = stamps.succeeded.withLock({ $0 }) else {
                    throw BenchError("the reconnect cycle saw no timeout")
                }
                guard restarted < timedOut else { continue }
                costs.append(Double(Statistics.nanoseconds(timedOut.duration(to: succeeded))) / 1000)
            }
        } catch {
            await server.stop()
            await engine.shutdown()
            throw error
        }
        await server.stop()
        await engine.shutdown()
        return (Statistics.median(costs), costs)
    }
}
