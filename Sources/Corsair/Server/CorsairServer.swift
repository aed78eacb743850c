import UnitText
import Foundation
import Logging
import ServiceLifecycle
import ZeroMQ

/// A Corsair server: many clients fan in to one ROUTER socket, and each request goes to a handler.
///
/// One I/O thread owns the sockets. It reads requests, checks them (malformed? too large? deadline
/// passed? key owned? already answered or running? too many in flight?), hands each admitted one to
/// a handler task, and sends the reply when the task hands it back through a wake-up descriptor.
/// Sends never wait: a reply to a client that is gone is counted and dropped.
///
/// It is a swift-service-lifecycle `Service`. ``run()`` binds the endpoints (a taken port makes it
/// throw), serves, and owns the handler tasks: they run in its task group, so when it returns no
/// handler is left running. On graceful shutdown it stops reading requests, lets running handlers
/// finish within ``Configuration/drainTimeout`` and sends their replies; handlers still running
/// then are cancelled and awaited. ``boundEndpoints`` waits until the endpoints are bound, which
/// is how a caller learns the port a `tcp://127.0.0.1:*` endpoint got.
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
    /// The CURVE public key clients need, when the server uses CURVE.
    public let curvePublicKey: CurveKey?

    private let handler: any RequestHandler
    private let inbox: ServerInbox
    private let statisticsBox: ServerStatisticsBox
    private let binding = ServerBinding()
    private let pool = HandlerPool()
    let readinessBox = ServerReadinessBox()

    /// Makes a server; ``run()`` binds its endpoints and serves.
    ///
    /// Opens no socket and never waits: it checks the configuration and reads the CURVE key.
    /// - Parameters:
    ///   - configuration: Endpoints and limits; see ``Configuration`` for the defaults.
    ///   - handler: Answers each request.
    /// - Throws: ``CorsairServerError``: `invalidConfiguration`, `curveUnavailable`, `socketError`
    ///   (no wake-up descriptor could be made).
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
        self.configuration = configuration
        self.curvePublicKey = publicKey
        self.handler = handler
        self.inbox = ServerInbox(wakeup: wakeup)
        self.statisticsBox = ServerStatisticsBox()
    }

    /// Makes a server whose handler is a closure.
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
        // Nothing is open unless run() runs, and run() holds the server; this only settles waiters.
        self.binding.report(.failure(Self.notBound("the server was released without running")))
    }

    /// The endpoints bound, in the order configured, with wildcard ports resolved, such as
    /// `tcp://127.0.0.1:41234`: what clients connect to.
    ///
    /// Waits until ``run()`` has bound them; at once when it has. Clients may connect from then on.
    ///
    /// ```swift
    /// try await withThrowingTaskGroup(of: Void.self) { group in
    ///     group.addTask { try await server.run() }
    ///     print("listening \(try await server.boundEndpoints.joined(separator: " "))")
    ///     try await group.waitForAll()
    /// }
    /// ```
    /// - Throws: ``CorsairServerError``: the error binding failed with (such as `addressInUse`,
    ///   naming the endpoint), or `notBound` when the server stopped before binding, was released
    ///   without running, or the waiting task was cancelled.
    public var boundEndpoints: [String] {
        get async throws(CorsairServerError) {
            try await self.binding.endpoints()
        }
    }

    /// Binds the endpoints and serves until graceful shutdown or cancellation, then stops.
    ///
    /// On graceful shutdown (SIGTERM or SIGINT through a `ServiceGroup`) the server stops reading
    /// requests, waits up to ``Configuration/drainTimeout`` for running handlers, sends their
    /// replies, closes its sockets, cancels the handlers still running and waits for them to
    /// return. On task cancellation it does the same without the wait: running handlers are
    /// cancelled and their clients get no reply. Either way `run()` returns only once every handler
    /// has returned, so a handler that ignores cancellation holds it up. A server runs once.
    /// - Throws: ``CorsairServerError``: `addressInUse` or `bindFailed` naming the endpoint,
    ///   `socketError` when a socket could not be opened or the I/O thread failed, `alreadyStarted`
    ///   on a second call.
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
        self.startIOThread()
        let (pool, handler, drainTimeout, logger) = (self.pool, self.handler, self.configuration.drainTimeout, self.configuration.logger)
        let readiness = self.readinessBox
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withDiscardingTaskGroup { group in
                    while true {
                        switch await pool.demand() {
                        case .spawn:
                            group.addTask { await pool.work(handler, inbox: inbox, logger: logger) }
                        case .finished(let cancelRunning):
                            if cancelRunning { group.cancelAll() }
                            return
                        }
                    }
                }
            } onGracefulShutdown: {
                readiness.advance(to: .draining)
                inbox.stop(drainTimeout: drainTimeout)
            }
        } onCancel: {
            readiness.advance(to: .draining)
            inbox.stop(drainTimeout: .zero)
        }
        defer { readiness.advance(to: .stopped) }
        // The I/O thread finished the inbox before it finished the pool.
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, CorsairServerError>, Never>) in
            inbox.whenFinished { continuation.resume(returning: $0) }
        }
        try outcome.get()
    }

    /// Starts the thread that binds, serves and closes; it reports to the binding, the inbox and
    /// the pool, and ends when the server has stopped.
    private func startIOThread() {
        let (configuration, handler, inbox) = (self.configuration, self.handler, self.inbox)
        let (statistics, binding, pool, curvePublicKey) = (self.statisticsBox, self.binding, self.pool, self.curvePublicKey)
        let readiness = self.readinessBox
        IOThread.start(named: "corsair-server") {
            let core = ServerCore(configuration: configuration, handler: handler, inbox: inbox, statistics: statistics, pool: pool)
            do throws(CorsairServerError) {
                let endpoints = try core.setUp()
                Self.logStartup(configuration, endpoints: endpoints, curvePublicKey: curvePublicKey)
                // Before the report, so whoever waits on boundEndpoints then sees the server serving.
                readiness.advance(to: .serving)
                binding.report(.success(endpoints))
            } catch {
                binding.report(.failure(error))
                core.abandonSetUp(error)
                return
            }
            core.run()
            binding.report(.failure(Self.notBound("the server stopped before binding")))
        }
    }

    private static func notBound(_ message: String) -> CorsairServerError {
        CorsairServerError(code: .notBound, message: message)
    }

    /// The detail a client gets when its handler threw an error that is not a
    /// ``ClientVisibleError``; the error itself is logged on the server with the request id.
    public static let handlerFailedDetail = "handler failed; the server logged the error"

    /// What the server has done so far: replies by status, replays, overloads, malformed messages…
    public var statistics: Statistics {
        self.statisticsBox.current
    }

    private static func logStartup(_ configuration: Configuration, endpoints: [String], curvePublicKey: CurveKey?) {
        let logger = configuration.logger
        logger.info(
            "corsair server bound",
            metadata: [
                "endpoints": "\(endpoints.joined(separator: " "))",
                "max-in-flight": "\(configuration.maxInFlight)",
                "max-request-size": "\(configuration.maxRequestBytes.map { ByteSizeText.format($0) } ?? "unbounded")",
                "drain-timeout": "\(DurationText.format(configuration.drainTimeout))",
            ]
        )
        guard let curve = configuration.curve else { return }
        let publicKey = curvePublicKey.map(\.z85) ?? "?"
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
