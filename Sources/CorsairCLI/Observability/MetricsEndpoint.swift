import FlyingFox
import FlyingSocks
import Foundation
import Logging
import Metrics
import Prometheus
import Synchronization

/// `--metrics-bind`: the Prometheus backend for everything the libraries count, and a small HTTP
/// listener serving `/metrics`, `/healthz` and `/readyz`.
///
/// ``start(at:readiness:logger:)`` binds before anything else starts, so a taken or bad address
/// fails the command with nothing half-started.
final class MetricsEndpoint: Sendable {
    /// The address actually bound, its port resolved when 0 was asked.
    let bound: MetricsAddress
    private let server: HTTPServer
    private let task: Task<Void, any Error>

    private init(bound: MetricsAddress, server: HTTPServer, task: Task<Void, any Error>) {
        self.bound = bound
        self.server = server
        self.task = task
    }

    /// Bootstraps swift-metrics with a Prometheus registry and listens on `address`.
    ///
    /// - Parameter readiness: What `/readyz` answers: `nil` for ready, or why not. Without it
    ///   `/readyz` answers as `/healthz` does.
    /// - Throws: ``CommandLineFailure`` with status 2 when the address cannot be bound.
    static func start(
        at address: MetricsAddress,
        readiness: (@Sendable () -> String?)? = nil,
        logger: Logger
    ) async throws -> MetricsEndpoint {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let figures = ProcessFigures(registry: registry)
        let socketAddress: sockaddr_in
        do {
            socketAddress = try .inet(ip4: address.host, port: address.port)
        } catch {
            throw CommandLineFailure("--metrics-bind \(address): not an address to bind: \(error)", status: CommandLineFailure.unusable)
        }
        let server = HTTPServer(address: socketAddress, timeout: 15, logger: DisabledLogger.disabled)
        let text = HTTPHeaders([.contentType: "text/plain; charset=utf-8"])
        await server.appendRoute("GET /metrics") { _ in
            figures.update()
            return HTTPResponse(
                statusCode: .ok,
                headers: HTTPHeaders([.contentType: "text/plain; version=0.0.4; charset=utf-8"]),
                body: Data(registry.emitToBuffer())
            )
        }
        await server.appendRoute("GET /healthz") { _ in
            HTTPResponse(statusCode: .ok, headers: text, body: Data("ok\n".utf8))
        }
        await server.appendRoute("GET /readyz") { _ in
            if let reason = readiness?() {
                return HTTPResponse(statusCode: .serviceUnavailable, headers: text, body: Data("not ready: \(reason)\n".utf8))
            }
            return HTTPResponse(statusCode: .ok, headers: text, body: Data("ready\n".utf8))
        }
        let failure = Mutex<(any Error)?>(nil)
        let task = Task {
            do {
                try await server.run()
            } catch {
                failure.withLock { $0 = error }
                throw error
            }
        }
        // Bound: either the listener is up or its run failed (a taken port fails at once).
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            if let error = failure.withLock({ $0 }) {
                throw CommandLineFailure("--metrics-bind \(address): cannot listen: \(error)", status: CommandLineFailure.unusable)
            }
            if let listening = await server.listeningAddress,
               case .ip4(let host, let port) = listening {
                let bound = MetricsAddress(host: host, port: port)
                logger.info("metrics listening", metadata: ["address": "\(bound)"])
                return MetricsEndpoint(bound: bound, server: server, task: task)
            }
            guard ContinuousClock.now < deadline else {
                task.cancel()
                throw CommandLineFailure("--metrics-bind \(address): the listener did not start within 10s", status: CommandLineFailure.unusable)
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Stops listening and closes open connections.
    func stop() async {
        await self.server.stop(timeout: 1)
        self.task.cancel()
    }
}
