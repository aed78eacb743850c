import Foundation
import Logging
import Synchronization
import ZeroMQ

/// The Lazy Pirate client: sends requests on REQ sockets, polls with deadlines, and on a timeout
/// closes the socket, opens a new one and resends, within a retry budget and an overall deadline.
///
/// One engine serves any number of concurrent callers. A single I/O thread owns every socket and
/// polls them all at once; callers never block a Swift concurrency thread.
///
/// ```swift
/// let engine = try ClientEngine()
/// let reply = try await engine.request([Array("GET user:42".utf8)], to: "tcp://127.0.0.1:5555")
/// print(String(decoding: reply.bytes, as: UTF8.self))
/// await engine.shutdown()
/// ```
public final class ClientEngine: Sendable {
    /// The settings the engine was made with.
    public let configuration: Configuration
    /// This engine's client id: random, stable for the engine's life, sent in every request header.
    public let clientID: ClientID
    /// The CURVE public key this engine presents to servers.
    public let curvePublicKey: CurveKey?
    /// Runs tasks on the engine's I/O thread, so that their requests need no thread hand-off.
    ///
    /// See ``EngineExecutor`` for what such tasks may and may not do.
    public let executor: EngineExecutor

    private let inbox: EngineInbox
    private let nextRequestID = Atomic<UInt64>(0)

    /// Starts an engine and its I/O thread.
    /// - Parameter configuration: How the engine behaves; see ``Configuration`` for the defaults.
    public init(configuration: Configuration = Configuration()) throws(CorsairError) {
        do {
            try configuration.retry.validated()
        } catch {
            throw .invalidConfiguration(message: "\(error)")
        }
        self.configuration = configuration
        self.clientID = ClientID.random()
        let context: Context
        let keyPair: CurveKeyPair?
        do {
            if let shared = configuration.context {
                context = shared
            } else {
                context = try Context(maxSockets: configuration.maxOpenSockets)
            }
            keyPair = try configuration.curveKeyPair ?? (ZMQ.has("curve") ? CurveKeyPair.generate() : nil)
        } catch {
            throw .socketError(attempts: 0, endpoint: nil, operation: "start engine", underlying: error)
        }
        self.curvePublicKey = keyPair?.publicKey
        let inbox = EngineInbox(wakeup: try Wakeup())
        self.inbox = inbox
        let executor = EngineExecutor(inbox: inbox)
        self.executor = executor
        let clientID = self.clientID
        IOThread.start(named: "corsair-client") {
            let core = EngineCore(
                configuration: configuration,
                context: context,
                inbox: inbox,
                executor: executor,
                clientID: clientID,
                keyPair: keyPair
            )
            core.run()
        }
    }

    deinit {
        self.inbox.close()
    }

    /// Sends a request and waits for its reply, retrying as the policy allows.
    ///
    /// Cancelling the calling task stops the retries, resets the request's socket and throws
    /// ``CorsairError/Code/cancelled``. With a tracer (``Configuration/tracer``), the request runs in a
    /// client span, child of `ServiceContext.current`, whose trace context goes to the server.
    /// - Parameters:
    ///   - body: The request's body frames.
    ///   - endpoint: The server to send it to.
    ///   - options: Per-request settings: retry policy, raw mode, shard, epoch, event observer.
    /// - Returns: The reply.
    /// - Throws: ``CorsairError``: abandoned after the attempts or deadline ran out, circuit open,
    ///   budget exhausted, or the server's answer (moved, wrong shard, handler error…).
    public func request(
        _ body: [[UInt8]],
        to endpoint: Endpoint,
        options: RequestOptions = RequestOptions()
    ) async throws(CorsairError) -> Reply {
        try await RequestSpan.traced(tracer: self.configuration.tracer, endpoint: endpoint.address, options: options) {
            options throws(CorsairError) in try await self.send(body, to: endpoint, options: options)
        }
    }

    /// Sends a request without a span of its own: the one ``ShardedClient`` made for it already
    /// covers every send, redirects included.
    func send(
        _ body: [[UInt8]],
        to endpoint: Endpoint,
        options: RequestOptions
    ) async throws(CorsairError) -> Reply {
        let requestID = self.nextRequestID.wrappingAdd(1, ordering: .relaxed).newValue
        let flag = CancellationFlag()
        let result = await withTaskCancellationHandler {
            // Unchecked: the engine completes every submission exactly once (``PendingCall/finish(_:)``
            // guards it, and a call never admitted is failed once), and the checked kind costs an
            // allocation and atomic operations on every request.
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Reply, CorsairError>, Never>) in
                self.submit(requestID: requestID, body: body, to: endpoint, options: options, cancellation: flag) {
                    continuation.resume(returning: $0)
                }
            }
        } onCancel: {
            flag.cancel()
            self.inbox.cancel(flag)
        }
        return try result.get()
    }

    /// Sends a single-frame request and waits for its reply.
    public func request(
        _ body: [UInt8],
        to endpoint: Endpoint,
        options: RequestOptions = RequestOptions()
    ) async throws(CorsairError) -> Reply {
        try await self.request([body], to: endpoint, options: options)
    }

    /// Sends a request and blocks the calling thread until it ends: for scripts, tools and tests.
    ///
    /// Never call it from a Swift concurrency task; use ``request(_:to:options:)-([[UInt8]],_,_)`` there.
    /// - Throws: ``CorsairError/Code/invalidConfiguration`` at once when called from a task on
    ///   ``executor``, where waiting would stop the very thread that must answer.
    public func requestBlocking(
        _ body: [[UInt8]],
        to endpoint: Endpoint,
        options: RequestOptions = RequestOptions()
    ) throws(CorsairError) -> Reply {
        guard !self.inbox.isOnIOThread else {
            throw .invalidConfiguration(message: "requestBlocking called on the engine's own I/O thread; use await request")
        }
        return try RequestSpan.tracedBlocking(tracer: self.configuration.tracer, endpoint: endpoint.address, options: options) {
            options throws(CorsairError) in try self.sendBlocking(body, to: endpoint, options: options)
        }
    }

    private func sendBlocking(_ body: [[UInt8]], to endpoint: Endpoint, options: RequestOptions) throws(CorsairError) -> Reply {
        let requestID = self.nextRequestID.wrappingAdd(1, ordering: .relaxed).newValue
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<Result<Reply, CorsairError>?>(nil)
        self.submit(requestID: requestID, body: body, to: endpoint, options: options, cancellation: nil) { result in
            box.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        let result = box.withLock { $0 } ?? .failure(.engineClosed(attempts: 0, endpoint: endpoint.address))
        return try result.get()
    }

    private func submit(
        requestID: UInt64,
        body: [[UInt8]],
        to endpoint: Endpoint,
        options: RequestOptions,
        cancellation: CancellationFlag?,
        completion: @escaping @Sendable (Result<Reply, CorsairError>) -> Void
    ) {
        if let problem = Self.problem(with: body, options: options, requestID: requestID) {
            completion(.failure(problem))
            return
        }
        let submission = PendingCall.Submission(
            requestID: requestID,
            endpoint: endpoint,
            body: body,
            policy: options.retry ?? self.configuration.retry,
            options: options,
            submittedAt: .now,
            cancellation: cancellation,
            completion: completion
        )
        if !self.inbox.submit(submission) {
            completion(.failure(.engineClosed(attempts: 0, endpoint: endpoint.address)))
        }
    }

    /// Why a request cannot be sent as given, found at submission rather than at every attempt:
    /// a per-request policy that is not valid, or a shard id, key or body the header cannot carry.
    private static func problem(with body: [[UInt8]], options: RequestOptions, requestID: UInt64) -> CorsairError? {
        if let policy = options.retry {
            do {
                try policy.validated()
            } catch {
                return .invalidConfiguration(message: "request's retry policy: \(error)")
            }
        }
        guard !options.raw else { return nil }
        do {
            try RequestHeader.checkLimits(
                shardIDLength: options.shardID?.utf8.count ?? 0,
                keyLength: options.routingKey?.utf8.count ?? 0,
                bodyFrameCount: body.count,
                requestID: requestID
            )
        } catch {
            return .invalidConfiguration(message: "request cannot be encoded: \(error.message)")
        }
        return nil
    }

    /// Closes the engine and waits until its I/O thread has stopped.
    ///
    /// Every request still in flight fails with ``CorsairError/Code/engineClosed``; sockets close
    /// without lingering, so this returns promptly.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            self.inbox.close { continuation.resume() }
        }
    }

    /// Closes the engine and blocks until its I/O thread has stopped. Not for concurrency tasks.
    ///
    /// Called from a task on ``executor``, it asks the engine to close and returns without waiting.
    public func close() {
        guard !self.inbox.isOnIOThread else {
            self.inbox.close()
            return
        }
        let done = DispatchSemaphore(value: 0)
        self.inbox.close { done.signal() }
        done.wait()
    }
}
