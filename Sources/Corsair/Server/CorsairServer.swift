import Foundation
import Logging
import ServiceLifecycle
import ZeroMQ

/// A Corsair server: many clients fan in to one ROUTER socket, and each request goes to a handler.
///
/// One I/O thread owns the sockets. It reads requests, checks them (malformed? deadline passed?
/// shard owned? already answered or running? too many in flight?), runs the handler in a task of its
/// own, and sends the reply when the task hands it back through a wake-up descriptor. Sends never
/// wait: a reply to a client that is gone is counted and dropped.
///
/// The server binds its endpoints when it is made, so a taken port fails there; it serves while
/// ``run()`` runs. It is a swift-service-lifecycle `Service`: on graceful shutdown it stops reading
/// requests, lets running handlers finish within ``Configuration/drainTimeout``, sends their
/// replies and closes.
///
/// ```swift
/// let server = try CorsairServer(
///     configuration: .init(endpoints: ["tcp://*:5555"]),
///     handler: KeyValueHandler()
/// )
/// let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
public final class CorsairServer: Service, Sendable {
    /// The settings the server was made with.
    public let configuration: Configuration
    /// The endpoints bound, in the order configured, with wildcard ports resolved, such as
    /// `tcp://127.0.0.1:41234`: what clients connect to.
    public let boundEndpoints: [String]
    /// The CURVE public key clients need, when the server uses CURVE.
    public let curvePublicKey: CurveKey?

    private let inbox: ServerInbox
    private let statisticsBox: ServerStatisticsBox

    /// Opens the server's sockets and binds its endpoints; serving starts with ``run()``.
    ///
    /// Clients may connect as soon as this returns; their requests wait in libzmq until ``run()``.
    /// - Parameters:
    ///   - configuration: Endpoints and limits; see ``Configuration`` for the defaults.
    ///   - handler: Answers each request.
    /// - Throws: ``CorsairServerError``: `invalidConfiguration`, `addressInUse` or `bindFailed` naming
    ///   the endpoint, `curveUnavailable`, `socketError`.
    public init(configuration: Configuration, handler: some RequestHandler) throws(CorsairServerError) {
        try configuration.validate()
        var publicKey: CurveKey?
        if let curve = configuration.curve {
            guard ZMQ.has("curve") else {
                throw CorsairServerError(code: .curveUnavailable, message: "CURVE asked for, but this libzmq was built without it")
            }
            publicKey = try curve.publicKey()
        }
        let wakeup: Wakeup
        do {
            wakeup = try Wakeup()
        } catch {
            throw CorsairServerError(code: .socketError, message: "cannot make the I/O thread's wake-up descriptor: \(error)")
        }
        let inbox = ServerInbox(wakeup: wakeup)
        let statistics = ServerStatisticsBox()
        let startup = ServerStartup()
        let handler: any RequestHandler = handler
        IOThread.start(named: "corsair-server") {
            let core = ServerCore(configuration: configuration, handler: handler, inbox: inbox, statistics: statistics)
            do throws(CorsairServerError) {
                startup.report(.success(try core.setUp()))
            } catch {
                startup.report(.failure(error))
                core.abandonSetUp(error)
                return
            }
            core.run()
        }
        let endpoints = try startup.wait(timeout: .seconds(30))

        self.configuration = configuration
        self.boundEndpoints = endpoints
        self.curvePublicKey = publicKey
        self.inbox = inbox
        self.statisticsBox = statistics
        self.logStartup()
    }

    /// Opens a server whose handler is a closure.
    ///
    /// ```swift
    /// let server = try CorsairServer(configuration: .init(endpoints: ["tcp://127.0.0.1:*"])) { request in
    ///     ServerReply(request.body.reversed())
    /// }
    /// ```
    public convenience init(
        configuration: Configuration,
        handler: @escaping @Sendable (ServerRequest) async throws -> ServerReply
    ) throws(CorsairServerError) {
        try self.init(configuration: configuration, handler: ClosureRequestHandler(handler))
    }

    deinit {
        // A server dropped without running, or after it ran, closes its sockets at once.
        self.inbox.stop(drainTimeout: .zero)
    }

    /// Serves until graceful shutdown or cancellation, then stops.
    ///
    /// On graceful shutdown (SIGTERM or SIGINT through a `ServiceGroup`) the server stops reading
    /// requests, waits up to ``Configuration/drainTimeout`` for running handlers, sends their
    /// replies, closes its sockets and returns. On task cancellation it does the same without
    /// waiting: running handlers are cancelled and their clients get no reply. A server runs once.
    /// - Throws: ``CorsairServerError`` `alreadyStarted` on a second call, or `socketError` when the
    ///   I/O thread failed.
    public func run() async throws {
        let inbox = self.inbox
        switch inbox.start() {
        case .started:
            break
        case .alreadyStarted:
            throw CorsairServerError(code: .alreadyStarted, message: "this server has already run; make a new one")
        case .finished(let outcome):
            try outcome.get()
            throw CorsairServerError(code: .alreadyStarted, message: "this server has already stopped; make a new one")
        }
        let drainTimeout = self.configuration.drainTimeout
        let outcome = await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, CorsairServerError>, Never>) in
                    inbox.whenFinished { continuation.resume(returning: $0) }
                }
            } onGracefulShutdown: {
                inbox.stop(drainTimeout: drainTimeout)
            }
        } onCancel: {
            inbox.stop(drainTimeout: .zero)
        }
        try outcome.get()
    }

    /// What the server has done so far: replies by status, replays, overloads, malformed messages…
    public var statistics: Statistics {
        self.statisticsBox.current
    }

    private func logStartup() {
        let logger = self.configuration.logger
        logger.info(
            "corsair server bound",
            metadata: [
                "endpoints": "\(self.boundEndpoints.joined(separator: " "))",
                "max-in-flight": "\(self.configuration.maxInFlight)",
            ]
        )
        guard let curve = self.configuration.curve else { return }
        let publicKey = self.curvePublicKey.map(\.z85) ?? "?"
        if let allowed = curve.allowedClientKeys {
            logger.info(
                "CURVE on: clients must present an allowed key",
                metadata: ["public-key": "\(publicKey)", "allowed-keys": "\(allowed.count)"]
            )
        } else {
            logger.warning(
                "CURVE on without an allow-list: any client that knows the server's public key is accepted (encryption only, no client authentication)",
                metadata: ["public-key": "\(publicKey)"]
            )
        }
    }
}
